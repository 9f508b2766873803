"""Every ORM model, re-exported so Alembic has one target and relations need no cycles."""

from alongside.models.audit_event import AuditAction, AuditEvent, AuditOutcome, AuditPurpose
from alongside.models.audit_head import AuditHead
from alongside.models.api_token import ApiToken
from alongside.models.base import Base
from alongside.models.break_glass_grant import BreakGlassGrant
from alongside.models.care_team import CareTeam
from alongside.models.client import Client
from alongside.models.client_key import ClientKey
from alongside.models.clinician_profile import ClinicianProfile
from alongside.models.login_failure import LoginFailure
from alongside.models.organization import Organization
from alongside.models.outbox_message import OutboxChannel, OutboxMessage, OutboxStatus
from alongside.models.site import Site
from alongside.models.user import STAFF_ROLES, Role, User
from alongside.models.user_session import UserSession

__all__ = [
    "ApiToken",
    "BreakGlassGrant",
    "LoginFailure",
    "STAFF_ROLES",
    "AuditAction",
    "AuditEvent",
    "AuditHead",
    "AuditOutcome",
    "AuditPurpose",
    "Base",
    "CareTeam",
    "Client",
    "ClientKey",
    "ClinicianProfile",
    "Organization",
    "OutboxChannel",
    "OutboxMessage",
    "OutboxStatus",
    "Role",
    "Site",
    "User",
    "UserSession",
]
