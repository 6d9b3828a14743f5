"""An applicant acting through an agent (代办, 委托代理人): both identities on the case.

The agent is a person with an identity document, checked by the same rules as an
applicant's (``sync.identity_codes``), and never the applicant themself. Acting for
someone needs their power of attorney (授权委托书), so a case with an agent records
it among the materials handed in, and one without it is refused. The power of
attorney is not a catalog material: it is made for this case and this agent, so it
never goes on file for reuse (``node.reuse`` keeps only the catalog's ``e_licence``
materials, keyed by the applicant, never the agent).

Checked the same way at the window, in the import and when the hub applies the
case, so a case the window took in is never refused at the hub.
"""
from __future__ import annotations

from sync.errors import Code, ValidationError
from sync.identity_codes import RESIDENT_ID, check_person_id

POWER_OF_ATTORNEY = "授权委托书"
AGENT_FIELDS = ("name", "id_type", "id_code", "phone")


def _fail(field: str, reason: str, code: Code = Code.VALIDATION_FAILED):
    raise ValidationError(f"{field}: {reason}", field=field, code=code)


def check_agent(raw, applicant: dict) -> dict | None:
    """The agent as the case records it (``{name, id_type, id_code, phone?}``), or None when
    the applicant acts in person; ``applicant`` is the checked applicant.

    :raises ValidationError: naming ``agent.<field>`` in Chinese; ``AGENT_IS_APPLICANT``
        when the agent's document is the applicant's.
    """
    if raw is None:
        return None
    if not isinstance(raw, dict):
        _fail("agent", "代理人应为对象：姓名（name）、证件类型（id_type）、证件号码（id_code）、"
                       "联系电话（phone，可不填）")
    for key in raw:
        if key not in AGENT_FIELDS:
            _fail(f"agent.{key}", "未知字段，可用：" + ", ".join(AGENT_FIELDS))
    name = raw.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 100:
        _fail("agent.name", "代理人姓名必填，且不超过 100 字")
    id_type = raw.get("id_type") or RESIDENT_ID
    try:
        id_code = check_person_id(id_type, raw.get("id_code") or "", field="agent.id_code")
    except ValidationError as exc:
        # The identity rules speak of "身份证号码…"; on a form with two people, say whose.
        reason = exc.detail.removeprefix(f"{exc.field}: ")
        _fail(exc.field, "代理人" + reason)
    phone = raw.get("phone") or ""
    phone = phone.strip() if isinstance(phone, str) else phone
    if phone and (not isinstance(phone, str) or not phone.isdigit() or not 7 <= len(phone) <= 12):
        _fail("agent.phone", "代理人联系电话应为 7–12 位数字（可不填）")
    if (applicant.get("kind") == "person" and id_code == applicant["id_code"]
            and id_type == (applicant.get("id_type") or RESIDENT_ID)):
        _fail("agent.id_code", "代理人与申请人是同一人（证件相同）：本人办理的，无需填写代理人",
              Code.AGENT_IS_APPLICANT)
    return {"name": name, "id_type": id_type, "id_code": id_code,
            **({"phone": phone} if phone else {})}


def power_of_attorney(agent: dict | None, handed_in: list[str]) -> list[dict]:
    """The power of attorney as a row of the case's materials (none without an agent).

    :raises ValidationError: it was handed in though nobody acts for the applicant.
    """
    if agent is None:
        if POWER_OF_ATTORNEY in handed_in:
            _fail("materials", "申请人本人办理，无需收取授权委托书；由代理人办理的，请勾选“由代理人办理”"
                               "并登记代理人")
        return []
    return [{"name": POWER_OF_ATTORNEY, "required": True,
             "provided": POWER_OF_ATTORNEY in handed_in, "reused_from": ""}]


def check_power_of_attorney(agent: dict | None, materials: list[dict]) -> None:
    """Refuse a case with an agent whose power of attorney was not handed in.

    :raises ValidationError: ``POWER_OF_ATTORNEY_MISSING`` with field ``materials``.
    """
    if agent is None:
        return
    if not any(isinstance(m, dict) and m.get("name") == POWER_OF_ATTORNEY and m.get("provided")
               for m in (materials if isinstance(materials, (list, tuple)) else ())):
        _fail("materials", f"由代理人 {agent['name']} 办理的，须收取申请人签署的授权委托书"
                           "（原件），否则不能代为申请", Code.POWER_OF_ATTORNEY_MISSING)
