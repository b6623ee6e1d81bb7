"""Factories for the personas and requests the tests need."""

import datetime

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from requests_app.models import LicenseRequest, RequestEvent

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        user.save()
        if create:
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=extracted is not False)


class LicenseRequestFactory(factory.django.DjangoModelFactory):
    """A request as the services would have left it, with its reference and first event."""

    class Meta:
        model = LicenseRequest
        skip_postgeneration_save = True

    applicant = factory.SubFactory(UserFactory)
    agreement_version = factory.LazyAttribute(lambda r: r.dataset.current_agreement)
    reference = factory.Sequence(lambda n: f"LAGPER-{timezone.localdate().year}-{n + 900000:06d}")
    representative_name = "PROF. LI WEI"
    representative_title = "Dean of the School of Computing"
    organisation = "EXAMPLE UNIVERSITY"
    unit = "Vision Lab, School of Computing"
    address = "1 UNIVERSITY ROAD, SPRINGFIELD"
    email = factory.LazyAttribute(lambda r: r.applicant.email)
    signing_date = factory.LazyFunction(lambda: timezone.localdate())
    research_purpose = "Benchmarking aerial-ground person re-identification."
    status = LicenseRequest.Status.AWAITING_SIGNATURE
    submitted_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def history(request, create, extracted, **kwargs):
        if create:
            RequestEvent.objects.create(
                request=request, actor=request.applicant, to_status=request.status, at=timezone.now()
            )


def days_ago(n: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=n)
