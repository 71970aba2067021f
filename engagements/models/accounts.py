import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from engagements.models.base import TenantModel


class Firm(models.Model):
    """The tenant: a consulting firm. Every tenant-owned row points at one."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in, by email. What they may see comes from their Membership."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform administrator.")
    date_joined = models.DateTimeField(default=timezone.now)
    wants_daily_digest = models.BooleanField(
        "one daily email of what waits on me",
        default=False,
        help_text="Instead of a reminder email for each item.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    OWNER = "owner", "Firm owner"
    CONSULTANT = "consultant", "Consultant"
    CLIENT = "client", "Client user"


class Membership(TenantModel):
    """Binds a user to one firm. A client membership is also bound to one Client.

    A user belongs to exactly one firm: the membership is the source of the tenant for every
    request, so there is never a guess about which firm a request acts for.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=20, choices=Role.choices)
    client = models.ForeignKey(
        "engagements.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(role=Role.CLIENT, client__isnull=False)
                    | (~models.Q(role=Role.CLIENT) & models.Q(client__isnull=True))
                ),
                name="membership_client_iff_client_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_staff_member(self) -> bool:
        """Owner or consultant: someone who works in the workspace."""
        return self.role in (Role.OWNER, Role.CONSULTANT)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class Client(TenantModel):
    """A company the firm runs engagements for."""

    name = models.CharField(max_length=200)
    industry = models.CharField(max_length=120, blank=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "name"], name="client_name_unique_per_firm")
        ]
        indexes = [models.Index(fields=["firm", "name"])]

    def __str__(self) -> str:
        return self.name


class Invitation(TenantModel):
    """A single-use, expiring link that lets someone set a password and join a firm.

    Only a SHA-256 digest of the token is stored: a database leak does not leak live links.
    """

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    stakeholder = models.ForeignKey(
        "engagements.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    token_digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["firm", "email"])]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_used(self) -> bool:
        return self.accepted_at is not None
