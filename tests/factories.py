"""factory_boy factories. They write through the unscoped manager: a test sets up several firms
at once, which no single tenant scope could hold."""

import factory

from engagements.models import (
    Client,
    Engagement,
    Firm,
    Membership,
    Role,
    Stakeholder,
    StakeholderRole,
    User,
)

PASSWORD = "correct-horse-battery-staple"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class.unscoped


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Firm

    name = factory.Sequence(lambda n: f"Firm {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class ClientFactory(TenantFactory):
    class Meta:
        model = Client

    firm = factory.SubFactory(FirmFactory)
    name = factory.Sequence(lambda n: f"Client {n}")


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    firm = factory.SubFactory(FirmFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.CONSULTANT


class EngagementFactory(TenantFactory):
    class Meta:
        model = Engagement

    client = factory.SubFactory(ClientFactory)
    firm = factory.SelfAttribute("client.firm")
    name = factory.Sequence(lambda n: f"Engagement {n}")


class StakeholderFactory(TenantFactory):
    class Meta:
        model = Stakeholder

    engagement = factory.SubFactory(EngagementFactory)
    firm = factory.SelfAttribute("engagement.firm")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"stakeholder{n}@client.example")
    role = StakeholderRole.REP
