"""Signing in and out, password reset, invitation links, and where `/` leads."""

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from engagements import services
from engagements.errors import ApplicationError
from engagements.forms import AcceptInvitationForm
from engagements.pages import refusal_on


def home(request: HttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    if not request.user.is_authenticated:
        return redirect("login")
    if membership is None:
        return render(request, "registration/no_membership.html", status=403)
    return redirect("portal_home" if membership.client_id else "dashboard")


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_for_token(token=token)
    except ApplicationError as error:
        return render(
            request, "registration/invitation_invalid.html", {"reason": error.message}, status=410
        )
    form = AcceptInvitationForm(
        request.POST or None, initial={"full_name": _suggested_name(invitation)}
    )
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            user = services.invitation_accept(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
    status = 400 if form.errors else 200
    return render(
        request,
        "registration/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=status,
    )


def _suggested_name(invitation) -> str:
    return invitation.stakeholder.name if invitation.stakeholder else ""
