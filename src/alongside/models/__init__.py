"""Every ORM model, re-exported so Alembic has one target and relations need no cycles."""

from alongside.models.api_token import ApiToken
from alongside.models.appointment import Appointment, AppointmentKind, AppointmentStatus
from alongside.models.audit_event import AuditAction, AuditEvent, AuditOutcome, AuditPurpose
from alongside.models.audit_head import AuditHead
from alongside.models.availability import Availability, AvailabilityKind
from alongside.models.base import Base
from alongside.models.break_glass_grant import BreakGlassGrant
from alongside.models.calendar_feed import CalendarFeed
from alongside.models.care_team import CareTeam
from alongside.models.care_team_change import CareTeamChange
from alongside.models.client import Client
from alongside.models.client_key import ClientKey
from alongside.models.client_preference import ClientPreference
from alongside.models.client_search_term import ClientSearchTerm
from alongside.models.clinician_profile import ClinicianProfile
from alongside.models.consent import Consent
from alongside.models.correction_request import CorrectionRequest, CorrectionStatus
from alongside.models.crisis_alert import CrisisAction, CrisisAlert
from alongside.models.crisis_resource_change import CrisisResourceChange
from alongside.models.decision import Decision, DecisionOutcome
from alongside.models.erasure_request import ErasureRequest, ErasureStatus
from alongside.models.intake import Intake, IntakeStatus
from alongside.models.login_failure import LoginFailure
from alongside.models.measurement_plan import Cadence, MeasurementPlan
from alongside.models.note import Note, NoteKind, NoteStatus
from alongside.models.note_addendum import NoteAddendum
from alongside.models.on_call_rota import OnCallRota
from alongside.models.organization import Organization
from alongside.models.outbox_message import OutboxChannel, OutboxMessage, OutboxStatus
from alongside.models.questionnaire_response import QuestionnaireResponse
from alongside.models.recovery_code import RecoveryCode
from alongside.models.retention_rule import RetentionRule
from alongside.models.review_assignment import ReviewAssignment
from alongside.models.review_settings import ReviewSettings
from alongside.models.risk_reading import RiskReading
from alongside.models.ruleset_activation import RulesetActivation
from alongside.models.ruleset_version import RulesetVersion
from alongside.models.safety_plan import SafetyPlan
from alongside.models.scheduling_rules import SchedulingRules
from alongside.models.score import Score
from alongside.models.second_factor_reset import ResetStatus, SecondFactorReset
from alongside.models.site import Site
from alongside.models.staff_invitation import InvitationState, StaffInvitation
from alongside.models.subject_access_export import SubjectAccessExport
from alongside.models.suggestion import Suggestion, SuggestionStatus
from alongside.models.user import STAFF_ROLES, Role, User
from alongside.models.user_session import UserSession
from alongside.models.waitlist_entry import WaitlistEntry, WaitlistStatus

__all__ = [
    "STAFF_ROLES",
    "ApiToken",
    "Appointment",
    "AppointmentKind",
    "AppointmentStatus",
    "AuditAction",
    "AuditEvent",
    "AuditHead",
    "AuditOutcome",
    "AuditPurpose",
    "Availability",
    "AvailabilityKind",
    "Base",
    "BreakGlassGrant",
    "Cadence",
    "CalendarFeed",
    "CareTeam",
    "CareTeamChange",
    "Client",
    "ClientKey",
    "ClientPreference",
    "ClientSearchTerm",
    "ClinicianProfile",
    "Consent",
    "CorrectionRequest",
    "CorrectionStatus",
    "CrisisAction",
    "CrisisAlert",
    "CrisisResourceChange",
    "Decision",
    "DecisionOutcome",
    "ErasureRequest",
    "ErasureStatus",
    "Intake",
    "IntakeStatus",
    "InvitationState",
    "LoginFailure",
    "MeasurementPlan",
    "Note",
    "NoteAddendum",
    "NoteKind",
    "NoteStatus",
    "OnCallRota",
    "Organization",
    "OutboxChannel",
    "OutboxMessage",
    "OutboxStatus",
    "QuestionnaireResponse",
    "RecoveryCode",
    "ResetStatus",
    "RetentionRule",
    "ReviewAssignment",
    "ReviewSettings",
    "RiskReading",
    "Role",
    "RulesetActivation",
    "RulesetVersion",
    "SafetyPlan",
    "SchedulingRules",
    "Score",
    "SecondFactorReset",
    "Site",
    "StaffInvitation",
    "SubjectAccessExport",
    "Suggestion",
    "SuggestionStatus",
    "User",
    "UserSession",
    "WaitlistEntry",
    "WaitlistStatus",
]
