"""The window (窗口办件): staff pages for the queue, intake, a case's detail and actions, search,
figures and the printable receipt. ``node.api`` serves the same operations as JSON.

Every view names its roles with ``requires``; every case number is checked
against this node's center before anything is read, so another center's case
is refused with 403 and never shown. The pages only gather input and show
results: intake and actions are ``node.cases``, lists and figures ``node.queue``.
"""
from __future__ import annotations

import datetime
import functools
import re

import orjson
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from node import (cases, catalog, departments, evaluation, letters, parallel, precedents,
                  prereview, projects, public, reuse, store)
from node.case_log import Actor, load
from node.models import Case, CatalogMatter, User
from node.queue import actions_for, clock, figures, queue, search
from node.users import ROLES
from sync import case_clock, case_labels, case_machine, case_results
from sync import roles as known_roles
from sync.case_numbers import case_number, parse_case_number, query_code
from sync.case_agents import POWER_OF_ATTORNEY, check_agent, power_of_attorney
from sync.case_records import APPLICANT_KINDS, check_applicant
from sync.catalog_history import load_departments
from sync.catalog_scope import acceptance
from sync.catalog_search import department_name
from sync.catalog_search import search as search_matters
from sync.errors import Code, ConflictError, Forbidden, NotFound, ValidationError
from sync.identity_codes import ID_TYPES
from sync.topology import load_topology
from web import matter_lookup
from web.auth import current_user, requires
from web.pagination import PER_PAGE, page as page_of_rows

bp = Blueprint("window", __name__, url_prefix="/window")
WRITERS = ("clerk", "reviewer", "approver", "center_admin")
# The fields of each action's small form (every form also has an optional reason).
FORM_FIELDS = {
    "accept": (), "complete_immediate": ("outcome", "document_number"), "not_accept": ("reason",),
    "request_supplement": ("missing",), "supplement_in": (), "start_review": (),
    "submit_for_approval": (), "return_to_review": ("reason",), "suspend_supplement": ("missing",),
    "start_special": ("kind", "limit_days", "reason"), "end_special": ("result",),
    "open_joint": ("departments",), "joint_decide": ("department", "decision"),
    "joint_supplement": ("department", "missing"),
    "close_joint": (), "decide": ("outcome", "document_number", "registered_capital", "precedent"),
    "deliver": ("method", "waybill"), "withdraw": ("reason",),
    "hand_off": ("target", "consent", "waybill"), "take_over": (), "return_handoff": ("reason",),
}


# -- shared with node.api ---------------------------------------------------------

def today() -> datetime.date:
    """Today in China: the day deadlines and figures are counted to."""
    return case_clock.china_today()


def yellow_days() -> int:
    """The ``warning_yellow_days`` setting: working days left that turn a case yellow."""
    return current_app.config["HALLSYNC"]["warning_yellow_days"]


def receipt_is_acceptance() -> bool:
    """The ``receipt_is_acceptance`` setting (收件即受理) for matters decided elsewhere."""
    return current_app.config["HALLSYNC"]["receipt_is_acceptance"]


def deemed_consent() -> bool:
    """The ``joint_deemed_consent`` setting: the rule closing a joint approval applies."""
    return current_app.config["HALLSYNC"]["joint_deemed_consent"]


def keys():
    """This node's signing key: every change is written with a signed event."""
    return store.load_keys(current_app.config["HALLSYNC"]["data_dir"])


def own_case(number: str) -> str:
    """The canonical number of a case of this center, or of one handed here to decide;
    403 for any other center's, and for another department's when the login is scoped."""
    parts = parse_case_number(number, field="number")
    canonical = case_number(parts.center, parts.day, parts.seq)
    if parts.center != store.state().center and Case.get_or_none(
            Case.number == canonical, Case.collected_by == parts.center) is None:
        store.require_center(parts.center)
    departments.require_case(canonical, departments.seeing(current_user()))
    return canonical


def user_roles(user: User) -> list[str]:
    """The user's roles in the usual order (clerk, reviewer, approver, center_admin, auditor)."""
    return [role for role in ROLES if role in user.role_set]


def queue_role(user: User, wanted: str | None) -> tuple[str, str | None]:
    """The role whose queue to show, and the role to filter by (None: read-only, every open case)."""
    if wanted and wanted not in ROLES:
        raise ValidationError(f"role: 未知的角色 {wanted!r}", field="role")
    if wanted and wanted not in user.role_set:
        raise Forbidden(f"you do not hold the role {wanted}", reason="role")
    role = wanted or user_roles(user)[0]
    return role, (None if role in known_roles.READ_ONLY else role)


def acting_role(user: User, action: str, wanted: str | None = None) -> str:
    """The role the user acts in: the one asked for, else their first role allowed the action."""
    if action not in FORM_FIELDS:
        raise ValidationError(f"action: 未知的操作 {action!r}", field="action")
    allowed = [r for r in user_roles(user) if r in case_machine.ACTIONS[action].roles]
    if wanted:
        allowed = [wanted] if wanted in allowed else []
    if not allowed:
        raise Forbidden(f"none of your roles may {action}", reason="role")
    return allowed[0]


def acting_on(user: User, number: str, action: str, wanted: str | None = None) -> str:
    """``acting_role``, then 403 (reason ``department``) when that role is scoped to
    departments the case is not of."""
    role = acting_role(user, action, wanted)
    departments.require_case(number, departments.acting(user, role))
    return role


def detail(number: str, user: User) -> dict:
    """The case as ``node.cases.view`` shows it, with its clock, joint approval and my actions."""
    row, case, actions = load(number)
    shown = cases.view(number)
    for step, action in zip(shown["history"][1:], actions):
        step["data"] = action["data"]
    # The checklist in the order the catalog lists the materials (the table keeps them by name).
    listed = CatalogMatter.get_or_none(CatalogMatter.code == row.matter_code)
    order = {m["name"]: i for i, m in enumerate(orjson.loads(listed.data)["materials"])} \
        if listed else {}
    # The power of attorney (an agent's case) first, as the intake form lists it.
    order[POWER_OF_ATTORNEY] = -1
    shown["materials"].sort(key=lambda m: order.get(m["name"], len(order)))
    mine = {}
    for role in departments.roles_on(user, user_roles(user), number):
        for action in actions_for(row, case, role):
            mine.setdefault(action, role)
    pause = case.open_pause
    # The rule a closed joint approval applied is the one its event recorded.
    closed = [a["data"]["deemed_consent"] for a in actions if a["action"] == "close_joint"]
    return {**shown, **clock(row, case, today(), yellow_within=yellow_days()),
            "joint_deemed_consent": (closed[-1] if closed else deemed_consent())
            if case.joint else None,
            "pause": None if pause is None else {
                "kind": pause.kind, "label": case_labels.PAUSE_KINDS[pause.kind],
                "since": pause.start.isoformat(), "limit_days": pause.limit_days},
            "joint": [{"department": s.department, "deadline": s.deadline.isoformat(),
                       "decision": s.decision, "reason": s.reason, "center": s.center,
                       "center_name": load_topology().name_of(s.center) if s.center else "",
                       "missing": list(s.missing)}
                      for s in case.joint],
            # 并联审批: departments of another center's case that give their opinion here.
            "consulted_here": parallel.consulted_here(row, case, store.state().center),
            "available": [{"action": a, "label": case_machine.ACTIONS[a].label, "role": r}
                          for a, r in mine.items()]}


# -- form input -------------------------------------------------------------------

def action_data(action: str, form) -> dict:
    """The data of an action from its small form; empty fields are left out."""
    data = {}
    for name in dict.fromkeys(FORM_FIELDS[action] + ("reason",)):
        if name == "missing":
            value = _missing(form)
        elif name == "consent":
            value = form.get("consent") == "1"
        elif name in ("limit_days", "registered_capital"):
            text = form.get(name, "").strip()
            value = int(text) if text.isdigit() else text
        elif name == "departments":
            value, centers = _departments(form.get(name, ""))
            if centers:
                data["centers"] = centers
        elif name == "precedent":
            # A number typed in wins over a search result chosen with "援引".
            number = form.get("precedent_other", "").strip() or form.get("precedent_number", "")
            note = form.get("precedent_note", "").strip()
            value = {"number": number, "note": note} if number or note else ""
        else:
            value = form.get(name, "").strip()
        if value is False or value not in ("", [], {}):
            data[name] = value
    return data


def _missing(form) -> list[str]:
    """The materials ticked, and those typed one per line (一次性告知: all at once)."""
    return form.getlist("missing") + [line.strip() for line in
                                      form.get("missing_other", "").splitlines() if line.strip()]


def _departments(text: str) -> tuple[dict, dict]:
    """Each line "department deadline [center]": the deadlines, and the departments that
    give their opinion at another center (并联审批, e.g. a city bureau at 210100)."""
    found, centers = {}, {}
    for line in filter(None, (line.strip() for line in text.splitlines())):
        parts = line.split()
        if len(parts) not in (2, 3):
            raise ValidationError("departments: 每行填写“部门代码 会签期限 [会签中心编码]”，"
                                  "如 market 2026-12-31 或 natres 2026-12-31 210100",
                                  field="departments")
        found[parts[0]] = parts[1]
        if len(parts) == 3:
            centers[parts[0]] = parts[2]
    return found, centers


def intake_form(form) -> dict:
    """The intake form as ``node.cases.intake`` takes it (the API's JSON body has this shape)."""
    return {"matter_code": form.get("matter_code", "").strip().upper(),
            "applicant": {"kind": form.get("applicant_kind", ""),
                          "name": form.get("applicant_name", ""),
                          "id_code": form.get("applicant_id_code", "").strip().upper(),
                          "id_type": form.get("applicant_id_type") or None,
                          "phone": form.get("applicant_phone", "").strip()},
            # 由代理人办理: the agent's fields count only while the box is ticked
            "agent": _agent_form(form) if form.get("by_agent") == "1" else None,
            "materials": form.getlist("materials"), "declined": form.getlist("declined"),
            "outcome": form.get("outcome") or None,
            "reason": form.get("reason", "").strip(), "green_channel": form.get("green_channel") == "1",
            "key_project": projects.parse_choice(form.get("key_project", "")),
            "decision": form.get("decision") or "approved",
            "document_number": form.get("document_number", "").strip(),
            "consent": form.get("consent") == "1", "waybill": form.get("waybill", "").strip(),
            "licence_consent": form.get("licence_consent") == "1"}


def _agent_form(form) -> dict:
    return {"name": form.get("agent_name", ""), "id_type": form.get("agent_id_type") or None,
            "id_code": form.get("agent_id_code", "").strip().upper(),
            "phone": form.get("agent_phone", "").strip()}


# Steps that end or send back a case: their buttons look destructive, not like the main one.
DESTRUCTIVE = frozenset({"withdraw", "not_accept", "return_handoff"})


def message(error: ValidationError | ConflictError) -> str:
    """The Chinese part of an error's detail, without its ``field:`` prefix."""
    field = getattr(error, "field", None)
    prefix = f"{field}: " if field else ""
    return error.detail[len(prefix):] if prefix and error.detail.startswith(prefix) else error.detail


# -- the page frame ---------------------------------------------------------------

@functools.cache
def _department_table() -> dict:
    return load_departments()


@bp.context_processor
def _frame() -> dict:
    state = store.state()
    user = current_user()
    return {"user": user, "role_labels": ROLES, "this_center": state.center,
            "destructive": DESTRUCTIVE,
            "supervises": load_topology().by_code.get(state.center) is not None
            and load_topology().by_code[state.center].level == "district",
            "my_roles": user_roles(user) if user else [],
            "my_departments": departments.short_names(user) if user else [],
            "dept": lambda code: department_name(code, _department_table()),
            "states": case_labels.STATES, "actions_table": case_machine.ACTIONS,
            "outcomes": case_labels.OUTCOMES, "methods": case_labels.DELIVERY_METHODS,
            "pause_kinds": case_labels.PAUSE_KINDS, "specials": case_labels.SPECIAL_PROCEDURES,
            "joint_decisions": case_labels.JOINT_DECISIONS, "applicant_kinds": APPLICANT_KINDS, "id_types": ID_TYPES,
            "power_of_attorney": POWER_OF_ATTORNEY,
            "evaluation_levels": case_labels.EVALUATION_LEVELS,
            "capital_matters": case_results.REGISTERED_CAPITAL_MATTERS}


@bp.errorhandler(NotFound)
@bp.errorhandler(ValidationError)
@bp.errorhandler(ConflictError)
def _problem(error):
    # A malformed case number is a page that does not exist, not a form error.
    status = 404 if getattr(error, "field", None) == "number" else error.status
    return render_template("window/problem.html", status=status, text=message(error)), status


# -- the pages --------------------------------------------------------------------

@bp.get("/")
@requires()
def my_queue():
    """My queue: the cases my role can act on now, most urgent first."""
    user = current_user()
    role, acting = queue_role(user, request.args.get("role"))
    scope = departments.acting(user, acting)
    items = queue(acting, today(), yellow_within=yellow_days(), departments=scope)
    consults = (parallel.consultations(store.state().center, scope)
                if role in ("reviewer", "approver") else [])
    return render_template("window/queue.html", role=role, read_only=acting is None,
                           items=items, consults=consults, today=today(), yellow=yellow_days(),
                           scope=scope,
                           # 网上申请 waiting for 网上预审: the clerk's, before they are cases
                           prereviews=prereview.waiting_count() if role == "clerk" else 0)


def _acceptable(q: str) -> list[dict]:
    center, topology = store.state().center, load_topology()
    found = []
    for matter in search_matters(list(catalog.matters_in_force().values()), q=q,
                                 departments=_department_table()):
        allowed = acceptance(matter, "in_force", center, topology)
        if allowed.allowed:
            found.append({**matter, "handoff": "" if allowed.decided_by == center else allowed.reason})
    return found


def _chosen(form: dict) -> tuple[dict, dict, dict | None]:
    """Step 1: the matter this center accepts, a valid applicant and their agent if any."""
    row = matter_lookup.find(CatalogMatter, form["matter_code"])
    if row is None:
        raise ValidationError("matter_code: 请选择本中心受理的事项", field="matter_code",
                              code=Code.MATTER_UNKNOWN)
    matter = orjson.loads(row.data)
    allowed = acceptance(matter, row.status, store.state().center, load_topology())
    if not allowed.allowed:
        raise ValidationError(f"matter_code: {allowed.reason}", field="matter_code",
                              code=Code.MATTER_NOT_ACCEPTABLE)
    applicant = check_applicant(form["applicant"])
    return matter, applicant, check_agent(form["agent"], applicant)


def _intake_page(form: dict, step: int, error=None, status: int = 200):
    errors = {error.field or "form": message(error)} if error else {}
    args = {"form": form, "errors": errors, "step": step, "q": request.values.get("q", "")}
    if step == 1:
        args["matters"] = _acceptable(args["q"])
    else:
        matter, applicant, agent = _chosen(form)
        decided_by = acceptance(matter, "in_force", store.state().center,
                                load_topology()).decided_by
        args.update(matter=matter, applicant=applicant, agent=agent,
                    handled_by=None if decided_by == store.state().center
                    else load_topology().get(decided_by),
                    receipt_is_acceptance=receipt_is_acceptance(),
                    checklist=cases.checklist(matter, applicant, [], form["declined"], agent),
                    same_matter_open=reuse.open_cases(matter["basic_code"], applicant),
                    # 原件 and 复印件 to take, for the checklist only (not in the case's record)
                    copies={POWER_OF_ATTORNEY: (1, 0),
                            **{m["name"]: (m.get("originals", 1), m.get("copies", 0))
                               for m in matter["materials"]}},
                    key_steps=projects.steps_for(matter["basic_code"]),
                    key_choice=request.values.get("key_project", ""))
    return render_template("window/intake.html", **args), status


@bp.route("/intake", methods=["GET", "POST"])
@requires("clerk")
def intake():
    """收件受理: choose the matter and applicant, then tick the materials and decide."""
    if request.method == "GET":
        return _intake_page(intake_form(request.args), 1)
    form, step = intake_form(request.form), request.form.get("step", "choose")
    if step == "edit":
        return _intake_page(form, 1)
    try:
        _chosen(form)
    except ValidationError as exc:
        return _intake_page(form, 1, exc, 422)
    if request.form.get("decline"):  # the clerk does not take a copy on file: collect it now
        form["declined"] = sorted({*form["declined"], request.form["decline"]})
        return _intake_page(form, 2)
    if step == "choose":
        return _intake_page(form, 2)
    if step == "select_all":  # 全选: every material ticked, the clerk unticks what is missing
        matter, _applicant, agent = _chosen(form)
        every = [m["name"] for m in power_of_attorney(agent, []) + matter["materials"]]
        return _intake_page({**form, "materials": every}, 2)
    user = current_user()
    try:
        case = cases.intake(keys(), store.state().center, Actor(user.username, "clerk"),
                            form, receipt_is_acceptance=receipt_is_acceptance())
    except ValidationError as exc:
        return _intake_page(form, 2, exc, 422)
    flash(f"已登记办件 {case['number']}：{case['state_label']}")
    return redirect(url_for(".case_page", number=case["number"]), 303)


def _case_page(number: str, error=None, status: int = 200):
    shown = detail(number, current_user())
    names = dict(User.select(User.username, User.display_name).tuples())
    # 案例援引: the decide form searches precedents with ?pq= (kept through a refused submit).
    pq = request.values.get("pq")
    deciding = any(a["action"] == "decide" for a in shown["available"])
    found = precedents.search(number, pq) if deciding and pq is not None else None
    return render_template("window/case.html", c=shown, names=names, error=error,
                           fields={**FORM_FIELDS, "opinion": ("decision", "missing")}, pq=pq or "",
                           found=found, chosen=request.form.get("precedent_number", "")), status


@bp.get("/cases/<number>")
@requires()
def case_page(number: str):
    """A case: timeline, materials, deadline and colour, one form per action I may take."""
    return _case_page(own_case(number))


@bp.post("/cases/<number>/act")
@requires(*WRITERS)
def act(number: str):
    """One action on a case, from its small form on the case page."""
    number = own_case(number)
    action = request.form.get("action", "")
    user = current_user()
    role = acting_on(user, number, action, request.form.get("role") or None)
    try:
        cases.act(keys(), store.state().center, number, action, Actor(user.username, role),
                  action_data(action, request.form), deemed_consent=deemed_consent())
    except (ValidationError, ConflictError) as exc:
        return _refused_form(number, action, exc)
    flash(f"已办理：{case_machine.ACTIONS[action].label}")
    return redirect(url_for(".case_page", number=number), 303)


@bp.post("/cases/<number>/evaluation-pad")
@requires("clerk")
def evaluation_pad(number: str):
    """Open the applicant's evaluation screen for this case (the clerk chooses nothing)."""
    number = own_case(number)
    try:
        token = evaluation.open_pad(number, store.state().center)
    except ConflictError as exc:
        flash(exc.detail)
        return redirect(url_for(".case_page", number=number), 303)
    return redirect(url_for("evaluation_pages.form", token=token), 303)


@bp.post("/cases/<number>/opinion")
@requires("reviewer", "approver")
def give_opinion(number: str):
    """并联审批: this center's opinion on its department's part of another center's case."""
    number = own_case(number)
    form = request.form
    data = {"department": form.get("department", ""), "decision": form.get("decision", ""),
            "reason": form.get("reason", "").strip(), "missing": _missing(form)}
    departments.require_department(data["department"], departments.scope(current_user()))
    try:
        parallel.give_opinion(keys(), store.state().center, number, current_user().username,
                              data)
    except (ValidationError, ConflictError) as exc:
        return _refused_form(number, "opinion", exc)
    flash("会签意见已签发，同步后由办理中心记录")
    return redirect(url_for(".case_page", number=number), 303)


def _refused_form(number: str, form: str, exc: ValidationError | ConflictError):
    """The case page again, the error next to the refused form's field."""
    # "missing[1]" or "departments.market" belong next to the form's "missing" or "departments".
    field = re.split(r"[.\[]", getattr(exc, "field", None) or "")[0]
    return _case_page(number, {"action": form, "field": field, "text": message(exc)}, exc.status)


@bp.get("/cases/<number>/receipt")
@requires()
def receipt(number: str):
    """The printable receipt or notice (受理回执, 补正告知书, 不予受理通知书) with the query code."""
    number = own_case(number)
    shown = detail(number, current_user())
    secret = cases.query_secret(current_app.config["HALLSYNC"]["data_dir"])
    link = public.progress_link(number)
    return render_template("window/receipt.html", c=shown, query_code=query_code(number, secret),
                           printed=today(), progress_link=link, progress_qr=public.qr_svg(link))


@bp.get("/cases/<number>/letter")
@requires()
def letter(number: str):
    """The printable 准予 / 不予行政许可决定书 of a decided case, with its node-allocated 文号."""
    return _letter_page(number, "window/letter.html")


@bp.get("/cases/<number>/service-proof")
@requires()
def service_proof(number: str):
    """The printable 送达回证 of a decided case's letter, signed by the recipient."""
    return _letter_page(number, "window/service_proof.html")


def _letter_page(number: str, template: str):
    number, center = own_case(number), store.state().center
    shown = detail(number, current_user())
    organ = letters.reconsideration_organ(current_app.config["HALLSYNC"]["reconsideration_organ"],
                                          load_topology(), center)
    department = department_name(shown["matter"]["department"], _department_table())
    return render_template(template, c=shown, letter=letters.letter(number, center),
                           department=department, organ=organ, printed=today(),
                           reconsideration_days=letters.RECONSIDERATION_DAYS,
                           lawsuit_months=letters.LAWSUIT_MONTHS)


@bp.get("/search")
@requires()
def search_page():
    """Cases by number, applicant name or ID, or matter; filtered by state."""
    try:
        found, error = search(request.args.get("q", ""), request.args.get("state", ""),
                              per_page=PER_PAGE, args=request.args,
                              departments=departments.seeing(current_user())), None
    except ValidationError as exc:
        found, error = None, message(exc)
    listed = page_of_rows(found["cases"], found["page"], found["count"]) if found else None
    return render_template("window/search.html", found=found, listed=listed, error=error,
                           args=request.args)


@bp.get("/figures")
@requires()
def figures_page():
    """The center's figures for today and this month, computed from its cases."""
    return render_template("window/figures.html", f=figures(today(), yellow_within=yellow_days()))


# -- key projects (重点项目审批服务) ------------------------------------------------------

def year_arg() -> int:
    """The ``year`` asked for (default this year in China)."""
    text = request.args.get("year", "").strip()
    if not text:
        return today().year
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise ValidationError(f"year: 年度应为 2000-2100 之间的整数，实际为 {text!r}", field="year")
    return int(text)


def _projects_page(year: int, error=None, status: int = 200):
    shown = projects.project_list(year, store.state().center, today(), yellow_within=yellow_days())
    return render_template("window/projects.html", p=shown, error=error, yellow=yellow_days(),
                           field=getattr(error, "field", None) or "",
                           text=message(error) if error else ""), status


@bp.get("/projects")
@requires()
def projects_page():
    """A year's key projects (重点项目) with their progress; a center admin loads the list here."""
    return _projects_page(year_arg())


@bp.post("/projects")
@requires("center_admin")
def load_projects():
    """Load (or replace) a year's key-project list from an uploaded TOML file."""
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationError("file: 请选择重点项目清单文件（TOML）", field="file")
        loaded = projects.load(projects.read_toml(upload.read()), user=current_user().username)
    except (ValidationError, ConflictError) as exc:
        return _projects_page(year_arg(), exc, exc.status)
    flash(f"已载入{loaded['title']}：{loaded['projects']} 个项目")
    return redirect(url_for(".projects_page", year=loaded["year"]), 303)


@bp.get("/projects/<int:year>/<code>")
@requires()
def project_page(year: int, code: str):
    """One key project: each step's matter, department, responsible person and linked cases."""
    shown = projects.project_detail(year, code, store.state().center, today(),
                                    yellow_within=yellow_days())
    return render_template("window/project.html", p=shown)
