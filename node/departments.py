"""Departments inside a center (issue 15.7): reviewers and approvers who work for some of
the departments stationed here (the city center hosts 38) see and act on those
departments' cases only. No Flask here.

* A login with no department works center-wide, exactly as before.
* Only the roles that act on a case after intake are scoped (``SCOPED_ROLES``): a
  citizen walks to any window, so clerks stay center-wide, and so do center admins
  and auditors. A login that also holds one of those roles sees every case, but
  acts as reviewer or approver only on its departments' cases.
* A case belongs to the department the catalog gives its matter now
  (``CatalogMatter.department``): a matter moved to another department moves its
  open cases with it, as the work does.
* The scope is a WHERE on that department (``case_in``), never a filter in Python,
  so a scoped list costs the same statements as a center-wide one.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable

from peewee import Expression

from node.models import Case, CatalogMatter, Consultation, OnlineApplication, User
from sync.catalog_history import load_departments
from sync.errors import Forbidden, NotFound, ValidationError
from web.staff import normalize

SCOPED_ROLES = frozenset({"reviewer", "approver"})


@functools.cache
def known() -> dict:
    """The stationed departments (``config/departments.toml``), by code."""
    return load_departments()


def checked(codes: Iterable[str]) -> list[str]:
    """The department codes, sorted and without repeats; an unknown one is refused by name."""
    codes = sorted({(code or "").strip() for code in codes})
    unknown = [code for code in codes if code not in known()]
    if unknown:
        raise ValidationError(f"department: 未知的部门 {', '.join(map(repr, unknown))}"
                              "（部门代码见 config/departments.toml）", field="department")
    return codes


def require_scoped_role(roles: Iterable[str], codes: list[str]) -> None:
    """Refuse departments for a login without a scoped role (clerks work center-wide)."""
    if codes and not SCOPED_ROLES & set(roles):
        raise ValidationError("department: 只有审核人员和审批负责人（reviewer、approver）按部门"
                              "分工；窗口受理人员等面向全中心，不设部门", field="department")


def set_departments(username: str, departments: Iterable[str]) -> User:
    """Replace a login's departments (none: center-wide); takes effect at its next request."""
    codes = checked(departments)
    user = User.get_or_none(User.username == normalize(username))
    if user is None:
        raise NotFound(f"没有用户 {normalize(username)}", field="username")
    require_scoped_role(user.role_set, codes)
    replace(user.username, codes)
    return User.get_by_id(user.id)


def replace(username: str, codes: list[str]) -> None:
    """Write a login's departments (checked already) in place of those it had."""
    User.update(departments=",".join(codes)).where(User.username == username).execute()


def of(user: User) -> list[str]:
    """The login's departments, sorted; [] for a center-wide login."""
    return [code for code in user.departments.split(",") if code]


def short_names(user: User) -> list[str]:
    """The login's departments by their short Chinese names (简称), for the staff bar."""
    return [known()[code].short if code in known() else code for code in of(user)]


def scope(user: User) -> list[str] | None:
    """The departments ``user`` works for as reviewer or approver; None: center-wide."""
    return of(user) or None


def seeing(user: User) -> list[str] | None:
    """The departments whose cases ``user`` may see; None: every case of the center."""
    if not user.role_set <= SCOPED_ROLES:
        return None  # a clerk, admin or auditor role of theirs is center-wide
    return scope(user)


def acting(user: User, role: str | None) -> list[str] | None:
    """The departments whose cases ``user`` may act on in ``role``; None: every case."""
    return scope(user) if role in SCOPED_ROLES else None


def roles_on(user: User, roles: list[str], number: str) -> list[str]:
    """``roles`` the login may act in on the case: without reviewer and approver when the
    case is of none of its departments."""
    codes = scope(user)
    if codes is None or _visible(number, codes):
        return roles
    return [role for role in roles if role not in SCOPED_ROLES]


def matters_of(departments: list[str]):
    """The subquery of the matter codes the catalog gives to ``departments``."""
    return CatalogMatter.select(CatalogMatter.code).where(
        CatalogMatter.department.in_(departments))


def case_in(departments: list[str]) -> Expression:
    """The WHERE that keeps the cases of ``departments``' matters."""
    return Case.matter_code.in_(matters_of(departments))


def require_case(number: str, departments: list[str] | None) -> None:
    """Raise 403 FORBIDDEN (reason ``department``) unless the case is of ``departments``."""
    if departments is not None and not _visible(number, departments):
        raise Forbidden(f"case {number} belongs to a department outside this login's "
                        f"({', '.join(departments)})", reason="department",
                        departments=departments)


def _visible(number: str, departments: list[str]) -> bool:
    """Whether the case is of ``departments``; a case not here is left to the page's 404."""
    # 并联审批: another center's case held here is asked for one department's opinion, which
    # may not be its matter's; its list and opinion check the department asked instead.
    within = (Case.select((case_in(departments) | Case.consulted).alias("within"))
              .where(Case.number == number).scalar())
    return within is None or bool(within)


def require_consultation(consultation_id: str, departments: list[str] | None) -> None:
    """Raise 403 FORBIDDEN (reason ``department``) unless the question (在线咨询) is to one
    of ``departments``; an unknown one is left to the answer to refuse."""
    if departments is None:
        return
    row = Consultation.get_or_none(Consultation.id == consultation_id)
    if row is not None:
        require_department(row.department, departments)


def require_application(number: str, departments: list[str] | None) -> None:
    """Raise 403 FORBIDDEN (reason ``department``) unless the online application (网上预审)
    is for a matter of ``departments``; an unknown one is left to the page to refuse."""
    if departments is None:
        return
    row = OnlineApplication.get_or_none(OnlineApplication.id == number)
    if row is not None:
        department = CatalogMatter.get(CatalogMatter.code == row.matter_code).department
        require_department(department, departments)


def require_department(code: str, departments: list[str] | None) -> None:
    """Raise 403 FORBIDDEN (reason ``department``) unless ``code`` is among ``departments``
    (a question or a joint opinion addressed to one department); an empty one is left to
    the form's own check, which names the field."""
    if departments is not None and code and code not in departments:
        raise Forbidden(f"department {code} is not among this login's ({', '.join(departments)})",
                        reason="department", departments=departments)
