"""The JSON API under /api/v1/ (Django REST framework; schema and docs by drf-spectacular).

Every view sees only the requests of the datasets its key is scoped to (keys.key_scope); a
reference outside that scope is a 404, as if it did not exist. Decisions go through the same
services as the reviewers' pages, and their refusals become JSON: TransitionNotAllowed → 409,
DecisionInvalid → 400.
"""

from django.db.models import Exists, OuterRef
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, generics, pagination, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from requests_app.audit import chain
from requests_app.http import REFERENCE
from requests_app.models import LicenseRequest, Reacceptance, RequestEvent
from requests_app.privacy.services import REMOVED

from .. import clock
from ..applications.selectors import licences_awaiting_reacceptance
from ..applications.views import client_ip
from ..review.selectors import licence_default_expiry
from ..review.services import (
    request_approve,
    request_reject,
    request_return_for_correction,
    request_revoke,
)
from ..workflow import DecisionInvalid, TransitionNotAllowed
from .keys import HasApiKey, MayDecide, key_scope

Status = LicenseRequest.Status


def exception_handler(exc, context):
    """DRF's handler, plus the services' refusals as JSON with the message the services wrote."""
    if isinstance(exc, TransitionNotAllowed):
        exc = exceptions.APIException(str(exc))
        exc.status_code = status.HTTP_409_CONFLICT
    elif isinstance(exc, DecisionInvalid):
        exc = exceptions.ValidationError({"detail": str(exc)})
    return drf_exception_handler(exc, context)


ERROR = inline_serializer("Error", {"detail": serializers.CharField()})
THROTTLED = {429: OpenApiResponse(ERROR, description="Too many requests with this key: wait and retry.")}
ERRORS = {
    401: OpenApiResponse(ERROR, description="No key, or a revoked or unknown one."),
    404: OpenApiResponse(ERROR, description="No such licence among the key's datasets."),
    **THROTTLED,
}
LIST_ERRORS = {
    400: OpenApiResponse(description="A filter is malformed; the body names it."),
    401: ERRORS[401],
    404: OpenApiResponse(ERROR, description="The cursor is not one this API gave out."),
    **THROTTLED,
}


# --- Reads ---------------------------------------------------------------------------------------


class AgreementSerializer(serializers.Serializer):
    version = serializers.CharField(source="label")
    sha256 = serializers.CharField()


class LicenceSerializer(serializers.ModelSerializer):
    """A licence as the owner's side needs it: nothing the owner did not ask the applicant for."""

    dataset = serializers.CharField(source="dataset.slug")
    signer_names = serializers.SerializerMethodField()
    agreement = AgreementSerializer(source="agreement_version")
    changed_at = serializers.DateTimeField(source="updated_at")
    reacceptance_needed = serializers.BooleanField(
        read_only=True,
        help_text="Approved, but the licensee has not yet accepted a changed agreement: the owner's side may hold the data back.",
    )

    class Meta:
        model = LicenseRequest
        fields = [
            "reference",
            "status",
            "dataset",
            "organisation",
            "signer_names",
            "unit",
            "submitted_at",
            "decided_at",
            "approved_at",
            "expires_at",
            "changed_at",
            "agreement",
            "reacceptance_needed",
        ]

    def get_signer_names(self, request) -> list[str]:
        asked = {spec["name"] for spec in request.agreement_version.signer_fields}
        return [request.representative_name] if "representative_name" in asked and request.representative_name else []


class LicenceFilters(serializers.Serializer):
    dataset = serializers.SlugField(required=False, help_text="A dataset's slug.")
    status = serializers.ChoiceField(choices=[c for c in Status.choices if c[0] != Status.DRAFT], required=False)
    organisation = serializers.CharField(required=False, max_length=300, help_text="Part of the organisation's name.")
    changed_since = serializers.DateTimeField(required=False, help_text="Changed at or after this moment (ISO 8601).")


class LicenceCursor(pagination.CursorPagination):
    ordering = ("updated_at", "id")
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 500


class EventCursor(pagination.CursorPagination):
    ordering = ("id",)
    page_size = 100
    page_size_query_param = "limit"
    max_page_size = 1000


def licences_in_scope(api_key):
    waiting = Reacceptance.objects.filter(
        request=OuterRef("pk"), accepted_at__isnull=True, request__status=Status.APPROVED
    )
    return (
        LicenseRequest.objects.filter(dataset__in=key_scope(api_key))
        .exclude(status=Status.DRAFT)
        .select_related("dataset", "agreement_version")
        .annotate(reacceptance_needed=Exists(waiting))
    )


def licence_in_scope(api_key, reference: str) -> LicenseRequest:
    try:
        if not REFERENCE.fullmatch(reference):  # junk such as a NUL byte never reaches the database
            raise LicenseRequest.DoesNotExist(reference)
        return licences_in_scope(api_key).get(reference=reference)
    except LicenseRequest.DoesNotExist:
        raise exceptions.NotFound("No such licence among this key's datasets.") from None


class LicenceList(generics.ListAPIView):
    """Licences of the key's datasets, oldest change first: poll with `changed_since` or follow `next`."""

    serializer_class = LicenceSerializer
    pagination_class = LicenceCursor

    def get_queryset(self):
        filters = LicenceFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        queryset = licences_in_scope(self.request.auth)
        if "dataset" in given:
            queryset = queryset.filter(dataset__slug=given["dataset"])
        if "status" in given:
            queryset = queryset.filter(status=given["status"])
        if given.get("organisation"):
            queryset = queryset.filter(organisation__icontains=given["organisation"])
        if "changed_since" in given:
            queryset = queryset.filter(updated_at__gte=given["changed_since"])
        return queryset

    @extend_schema(parameters=[LicenceFilters], responses={200: LicenceSerializer(many=True), **LIST_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class LicenceDetail(APIView):
    @extend_schema(responses={200: LicenceSerializer, **ERRORS})
    def get(self, request, reference):
        return Response(LicenceSerializer(licence_in_scope(request.auth, reference)).data)


class EventSerializer(serializers.ModelSerializer):
    """One entry of the append-only audit trail, with its link in the licence's hash chain.

    `hash` is the SHA-256 of `canonical` (audit/chain.py), which holds the event's content and the
    previous event's hash (`prev_hash`), so a mirror can check each event and that none is missing.
    Once the licence's personal data was removed, the note reads "[removed]" and `canonical` is null:
    the links (`seq`, `prev_hash`, `hash`) still verify, the content no longer can.
    """

    licence = serializers.CharField(source="request.reference")
    dataset = serializers.CharField(source="request.dataset.slug")
    actor = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField()
    canonical = serializers.SerializerMethodField()

    class Meta:
        model = RequestEvent
        fields = [
            "id",
            "licence",
            "dataset",
            "at",
            "from_status",
            "to_status",
            "actor",
            "note",
            "seq",
            "prev_hash",
            "hash",
            "canonical",
        ]

    def get_actor(self, event) -> str:
        """Who acted, by role: the applicant, a reviewer, or the portal (reminders, expiry)."""
        if event.actor_id is None:
            return "portal"
        return "applicant" if event.actor_id == event.request.applicant_id else "reviewer"

    def get_note(self, event) -> str:
        return REMOVED if event.request.personal_data_removed_at else event.note

    def get_canonical(self, event) -> str | None:
        """The exact text `hash` is the SHA-256 of (UTF-8), or null once the personal data was removed."""
        return None if event.request.personal_data_removed_at else chain.canonical_of(event).decode()


class EventFilters(serializers.Serializer):
    licence = serializers.RegexField(
        REFERENCE,
        required=False,
        max_length=40,
        help_text="One licence's whole chain, from its first event (also those written while it was a draft).",
    )


class EventList(generics.ListAPIView):
    """The audit trail of the key's datasets in the order it was written: keep `next` to mirror it.

    Events of drafts are left out until the request is submitted; a licence whose first event you see
    has `seq` above 1 was a draft when you passed its first events: `?licence=` gives its whole chain.
    """

    serializer_class = EventSerializer
    pagination_class = EventCursor

    def get_queryset(self):
        filters = EventFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        events = (
            RequestEvent.objects.filter(request__dataset__in=key_scope(self.request.auth))
            .exclude(request__status=Status.DRAFT)
            .select_related("request__dataset")
        )
        if "licence" in filters.validated_data:
            events = events.filter(request__reference=filters.validated_data["licence"])
        return events

    @extend_schema(parameters=[EventFilters], responses={200: EventSerializer(many=True), **LIST_ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- Decisions -----------------------------------------------------------------------------------


class ApproveInput(serializers.Serializer):
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Omitted: the dataset's licence duration from now. null: the licence does not expire.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, help_text="Sent to the applicant.")


class ReturnInput(ReasonInput):
    fields = serializers.ListField(
        child=serializers.CharField(max_length=40),
        allow_empty=False,
        help_text="Names of the fields the applicant must correct (e.g. organisation, unit).",
    )


def _approve(request, licence, data, ip):
    expires_at = data["expires_at"] if "expires_at" in data else licence_default_expiry(dataset=licence.dataset)
    return request_approve(request=licence, reviewer=request.user, expires_at=expires_at, note=data["note"], ip=ip)


DECISIONS = {
    "approve": (ApproveInput, _approve),
    "reject": (
        ReasonInput,
        lambda request, licence, data, ip: request_reject(
            request=licence, reviewer=request.user, reason=data["reason"], ip=ip
        ),
    ),
    "return": (
        ReturnInput,
        lambda request, licence, data, ip: request_return_for_correction(
            request=licence, reviewer=request.user, fields=data["fields"], reason=data["reason"], ip=ip
        ),
    ),
    "revoke": (
        ReasonInput,
        lambda request, licence, data, ip: request_revoke(
            request=licence, reviewer=request.user, reason=data["reason"], ip=ip
        ),
    ),
}


def decision_view(action: str):
    input_serializer, run = DECISIONS[action]

    class Decision(APIView):
        permission_classes = [HasApiKey, MayDecide]

        @extend_schema(
            operation_id=f"licence_{action}",
            request=input_serializer,
            responses={
                200: LicenceSerializer,
                400: OpenApiResponse(description="The decision is incomplete."),
                403: OpenApiResponse(ERROR, description="The key may not decide."),
                409: OpenApiResponse(ERROR, description="The licence is not in a state that allows this."),
                **ERRORS,
            },
        )
        def post(self, request, reference):
            licence = licence_in_scope(request.auth, reference)
            given = input_serializer(data=request.data)
            given.is_valid(raise_exception=True)
            run(request, licence, given.validated_data, client_ip(request))
            return Response(LicenceSerializer(licence_in_scope(request.auth, reference)).data)

    Decision.__name__ = Decision.__qualname__ = f"{action.capitalize()}Decision"
    return Decision.as_view()


class Revocations(APIView):
    """Public: the licences whose tokens a verifier must refuse now (tokens.py).

    `revoked` for good; `reacceptance_needed` until the licensee accepts the changed agreement, when
    the reference leaves the list and their tokens are good again (an expired licence's tokens
    have expired with it).
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer(
                "Revocations",
                {
                    "revoked": serializers.ListField(
                        child=serializers.CharField(), help_text="Revoked licences: refuse their tokens."
                    ),
                    "reacceptance_needed": serializers.ListField(
                        child=serializers.CharField(),
                        help_text="Licences whose holder must accept a changed agreement first: refuse their tokens until they leave this list.",
                    ),
                    "generated_at": serializers.DateTimeField(),
                },
            ),
            **THROTTLED,
        }
    )
    def get(self, request):
        now = clock.now()
        revoked = LicenseRequest.objects.filter(status=Status.REVOKED).order_by("reference")
        waiting = licences_awaiting_reacceptance(now=now).order_by("reference")
        return Response(
            {
                "revoked": list(revoked.values_list("reference", flat=True)),
                "reacceptance_needed": list(waiting.values_list("reference", flat=True)),
                "generated_at": now,
            }
        )
