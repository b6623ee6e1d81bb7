"""Factories for the personas and requests the tests need."""

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from requests_app.models import LicenseRequest

from . import journeys

PASSWORD = "correct horse battery staple"
# What an applicant may type beyond the journeys' defaults (the agreement's other fields, their Hub name).
TYPED = {"signing_date", "phone", "values", "hf_username"}


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
    """An application its applicant submitted, made by the services: the agreement issued, awaiting the signed copy.

    Who applies, for which dataset and what they typed are the factory's to choose. The status, the
    reference and the workflow's dates and decisions belong to the services, so every request made
    here is one that people could have made. A test that needs another state builds it with
    tests/journeys.py (under_review, approved, returned, in_status, ...) and places it in time by
    moving the frozen clock; naming a workflow field here is a TypeError that says so.
    """

    class Meta:
        model = LicenseRequest

    applicant = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(lambda r: r.applicant.email)

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        owned = sorted(set(kwargs) - {"applicant", "dataset"} - set(journeys.APPLICATION) - TYPED)
        if owned:
            raise TypeError(
                f"LicenseRequestFactory cannot set {', '.join(owned)}: the services own a request's state. "
                "Bring it there with tests/journeys.py (under_review, approved, returned, in_status, ...)."
            )
        return kwargs

    @classmethod
    def _create(cls, model_class, *, applicant, dataset, **fields):
        return journeys.submitted(applicant=applicant, dataset=dataset, **fields)
