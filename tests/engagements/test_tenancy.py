import pytest
from django.apps import apps
from django.test import RequestFactory

from engagements.middleware import TenantMiddleware
from engagements.models import Engagement, TenantManager, TenantModel
from engagements.tenancy import TenantScopeMissing, current_firm, tenant_scope
from tests.conftest import signed_in


def test_every_model_with_a_firm_uses_the_scoped_manager():
    with_firm = [m for m in apps.get_models() if any(f.name == "firm" for f in m._meta.fields)]
    assert with_firm, "expected tenant-owned models"
    for model in with_firm:
        assert issubclass(model, TenantModel), f"{model.__name__} must inherit TenantModel"
        assert isinstance(model._default_manager, TenantManager), model.__name__


def test_a_scoped_query_with_no_tenant_raises(db):
    with pytest.raises(TenantScopeMissing):
        list(Engagement.objects.all())


def test_none_needs_no_tenant_and_stays_empty_whatever_is_chained(world):
    # Placeholders (form fields' choices at import time) are built with no firm in scope.
    empty = Engagement.objects.none()

    assert list(empty) == []
    assert list(empty.filter(name="Xylo sales system")) == []
    with tenant_scope(world.firm_a):
        assert Engagement.objects.none().count() == 0
        assert Engagement.objects.count() == 2


FORM_MODULES = [
    "engagements.forms", "diagnostics.forms", "architecture.forms", "sprints.forms",
    "launch.forms", "launch.workbench.forms", "enablement.forms.training",
    "enablement.forms.adoption", "enablement.forms.handoff",
]  # fmt: skip


def test_every_forms_placeholder_choices_are_empty_and_need_no_tenant(db):
    import importlib
    import inspect

    from django import forms

    checked = 0
    for module in map(importlib.import_module, FORM_MODULES):
        for _, form_class in inspect.getmembers(module, inspect.isclass):
            if not issubclass(form_class, forms.BaseForm):
                continue
            for field in form_class.base_fields.values():
                queryset = getattr(field, "queryset", None)
                if queryset is not None and issubclass(queryset.model, TenantModel):
                    assert list(queryset) == [], f"{form_class.__name__}: reads rows unscoped"
                    checked += 1
    assert checked >= 25  # every placeholder the forms declare


def test_the_scoped_manager_sees_only_the_active_firm(world):
    with tenant_scope(world.firm_a):
        names = set(Engagement.objects.values_list("name", flat=True))
    with tenant_scope(world.firm_b):
        names_b = set(Engagement.objects.values_list("name", flat=True))
    assert names == {"Xylo sales system", "Yonder rollout"}
    assert names_b == {"Beta secret deal"}


def test_tenant_scope_restores_the_previous_firm_even_after_an_error(world):
    with pytest.raises(ValueError), tenant_scope(world.firm_a):
        raise ValueError
    assert current_firm() is None


def test_the_middleware_resets_the_scope_after_the_request(world):
    seen = []
    middleware = TenantMiddleware(lambda request: seen.append(current_firm()) or "response")
    request = RequestFactory().get("/")
    request.user = world.consultant
    middleware(request)
    assert seen == [world.firm_a]
    assert current_firm() is None


def test_a_request_never_inherits_the_previous_requests_firm(world):
    signed_in(world.consultant_b).get("/workspace/")
    page = signed_in(world.consultant).get("/workspace/")
    assert "Xylo sales system" in page.content.decode()
    assert "Beta secret deal" not in page.content.decode()
