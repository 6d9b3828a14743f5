"""The SMS the city sends, as approved templates: what hub and node must agree on.

A Chinese SMS provider sends only text it approved beforehand: a template (its
code, its text with ``${name}`` parameters) under an approved signature (签名,
the ``sms_sign_name`` setting). A message names its template and gives the
parameters as JSON; the provider fills them in. Links may appear only in a
template's approved text, never in a parameter, so a parameter holding a URL
is refused here, before it is ever queued. Providers also cap each parameter's
length; ``MAX_PARAM`` is the common cap.

``check`` is the one test a message passes before it is written (at the node,
with the change it announces) and again at the hub before it is queued.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PARAM = 35
PHONE = re.compile(r"^1[3-9]\d{9}$")  # a mainland mobile number: only these can get an SMS
_LINK = re.compile(r"(https?:|www\.|://|\.(cn|com|net|org|gov)\b)", re.IGNORECASE)
_PARAM = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True)
class Template:
    kind: str
    code: str  # the provider's code of the approved template
    text: str
    # A verification code is sent even in quiet hours: the citizen asked for it just now.
    quiet_hours_exempt: bool = False

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.text))

    def render(self, params: dict) -> str:
        return _PARAM.sub(lambda m: str(params[m.group(1)]), self.text)


TEMPLATES = {t.kind: t for t in (
    Template("verification_code", "SMS_HS_100",
             "您的验证码为${code}，${minutes}分钟内有效。工作人员不会索取验证码，请勿告知他人。",
             quiet_hours_exempt=True),
    Template("appointment_confirmed", "SMS_HS_110",
             "您已预约${center}${date} ${time}办理“${matter}”，预约号${number}。"
             "如需取消或改约，请登录网上办事大厅。"),
    Template("appointment_reminder", "SMS_HS_111",
             "温馨提醒：您预约的${center}“${matter}”将于${date} ${time}开始办理，请携带材料按时到达。"),
    Template("supplement_requested", "SMS_HS_120",
             "您的办件${number}（${matter}）需补正材料：${materials}。请一次性补齐后到${center}提交。"),
    # 网上预审: every defect is on the applicant's page at once; the SMS says how many.
    Template("prereview_returned", "SMS_HS_123",
             "您的网上申请${application}（${matter}）预审需补正${count}项材料，"
             "请登录网上办事大厅查看全部意见，一次性补正后重新提交。"),
    Template("accepted", "SMS_HS_121",
             "您的办件${number}（${matter}）已于${date}受理，承诺办结日期${promised}，"
             "可凭受理回执上的查询码查询进度。"),
    Template("completed", "SMS_HS_122",
             "您的办件${number}（${matter}）已办结，办理结果：${result}。请按约定方式领取。"),
    # The link is part of the approved text; only the one-time token is a parameter.
    Template("evaluation_link", "SMS_HS_130",
             "您的办件${number}已办结，请对本次服务作出评价：https://zwfw.shenyang.gov.cn/e/${token}"
             "（一次有效）"),
    Template("rectification_reply", "SMS_HS_131",
             "您对办件${number}的评价已有整改答复，请登录网上办事大厅查看，或致电${phone}。"),
    Template("complaint_answered", "SMS_HS_132",
             "您${date}提出的投诉（${category}）已由${center}答复，请登录网上办事大厅“我的投诉”查看。"),
)}
BY_CODE = {t.code: t for t in TEMPLATES.values()}


def fit(text: str) -> str:
    """A text cut to ``MAX_PARAM`` characters (``…`` marks the cut), for names and lists."""
    text = str(text)
    return text if len(text) <= MAX_PARAM else text[:MAX_PARAM - 1] + "…"


def check(kind, phone, params) -> str | None:
    """Why this message cannot be sent, or None: unknown template, a number that is not a
    mobile, a parameter missing, extra, too long or holding a link."""
    template = TEMPLATES.get(kind) if isinstance(kind, str) else None
    if template is None:
        return f"kind: unknown SMS template {kind!r}"
    if not isinstance(phone, str) or not PHONE.match(phone):
        return "phone: not a mainland mobile number"
    if not isinstance(params, dict):
        return "params: must be an object"
    wanted = set(template.params)
    if set(params) != wanted:
        return f"params: {kind} takes exactly {sorted(wanted)}"
    for name, value in params.items():
        if not isinstance(value, str) or not value:
            return f"params.{name}: must be a non-empty string"
        if len(value) > MAX_PARAM:
            return f"params.{name}: longer than {MAX_PARAM} characters"
        if _LINK.search(value):
            return f"params.{name}: a link may only be part of the approved template"
    return None
