"""Who is asking: a user's role, its permissions and the agency it is limited to. Every read and
write of the store is filtered and checked by a ``Scope`` (the pages only show what it allows)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.domain.errors import DiscretionReviewError

READ, ACT, IMPORT, RISK, SELF_ASSESS, MANAGE_USERS = "read", "act", "import", "risk", "self_assess", "manage_users"

ROLES: dict[str, tuple[bool, frozenset[str]]] = {  # role -> (all agencies?, permissions)
    "supervisor": (False, frozenset({READ, ACT, IMPORT})),
    "ethics_committee": (False, frozenset({READ, RISK})),
    "agency_head": (False, frozenset({READ, ACT, IMPORT, RISK, SELF_ASSESS})),
    "provincial": (True, frozenset({READ})),
    "admin": (True, frozenset({READ, ACT, IMPORT, RISK, SELF_ASSESS, MANAGE_USERS})),
}
ROLE_NAMES = {
    "supervisor": ("ผู้บังคับบัญชา", "Supervisor"), "ethics_committee": ("คณะกรรมการจริยธรรม", "Ethics committee"),
    "agency_head": ("หัวหน้าหน่วยงาน", "Agency head"), "provincial": ("เจ้าหน้าที่จังหวัด", "Provincial officer"),
    "admin": ("ผู้ดูแลระบบ", "Administrator"),
}

class PermissionDenied(DiscretionReviewError):
    """The user's role or agency does not allow this."""


class NotFound(DiscretionReviewError):
    """No such record within the user's scope (records outside it are not found either)."""


@dataclass(frozen=True)
class Scope:
    """Who is asking: the data layer filters and checks everything by this."""

    username: str
    role: str
    agency_id: str | None

    @property
    def all_agencies(self) -> bool:
        return ROLES[self.role][0]

    def can(self, permission: str) -> bool:
        return permission in ROLES[self.role][1]

    def require(self, permission: str, agency_id: str | None = None) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"{self.username} ({self.role}) may not {permission.replace('_', ' ')}")
        if agency_id is not None and not self.sees(agency_id):
            raise PermissionDenied(f"{self.username} may not {permission.replace('_', ' ')} for agency {agency_id}")

    def sees(self, agency_id: str) -> bool:
        return self.all_agencies or agency_id == self.agency_id

    def agency_filter(self) -> str | None:
        """The one agency this user is limited to, or None for all."""
        return None if self.all_agencies else self.agency_id


SYSTEM = Scope("system", "admin", None)
