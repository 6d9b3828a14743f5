"""The codes a case is written in, and their Chinese names.

Hub and node store, sign and send the codes (a case's state, an action's
data: ``"received"``, ``"approved"``, ``"mail"``), so a code never changes once
in use; the windows and pages show the names. The state machine
(``sync.case_machine``) says which state leads to which; this module only
says what each code is called and which codes belong together.
"""
from __future__ import annotations

# -- the states of a case ---------------------------------------------------------

RECEIVED, SUPPLEMENT_REQUESTED, NOT_ACCEPTED = "received", "supplement_requested", "not_accepted"
ACCEPTED, IN_REVIEW, IN_APPROVAL = "accepted", "in_review", "in_approval"
SUSPENDED_SUPPLEMENT, SUSPENDED_SPECIAL = "suspended_supplement", "suspended_special"
JOINT_REVIEW, COMPLETED, DELIVERED, WITHDRAWN = "joint_review", "completed", "delivered", "withdrawn"
HANDED_OFF = "handed_off"
STATES = {
    RECEIVED: "已收件", SUPPLEMENT_REQUESTED: "待补正（未受理）", NOT_ACCEPTED: "不予受理",
    ACCEPTED: "已受理", IN_REVIEW: "审查中", IN_APPROVAL: "待审批",
    SUSPENDED_SUPPLEMENT: "补正中（暂停计时）", SUSPENDED_SPECIAL: "特别程序中（暂停计时）",
    JOINT_REVIEW: "联合审批中", COMPLETED: "已办结", DELIVERED: "已送达", WITHDRAWN: "已撤件",
    HANDED_OFF: "已移交（待办理中心接收）",
}
TERMINAL = frozenset({NOT_ACCEPTED, DELIVERED, WITHDRAWN})
# Open = the applicant may still withdraw. A completed case has its result and
# only awaits delivery, so it is neither open nor terminal.
OPEN = frozenset(STATES) - TERMINAL - {COMPLETED}
PAUSED = frozenset({SUSPENDED_SUPPLEMENT, SUSPENDED_SPECIAL})

# -- who acts, and the codes of an action's data --------------------------------------

ROLES = {"clerk": "窗口受理人员", "reviewer": "审查人员（处室）", "approver": "审批负责人",
         "center_admin": "中心管理员", "auditor": "审计人员（只读）", "applicant": "申请人本人"}
OUTCOMES = {"approved": "准予许可", "refused": "不予许可"}
JOINT_DECISIONS = {"consent": "同意", "object": "不同意", "deemed_consent": "逾期视为同意"}
DELIVERY_METHODS = {"window": "窗口领取", "mail": "邮寄送达", "online": "网上送达"}

# -- pauses of the clock ----------------------------------------------------------

SUPPLEMENT = "supplement"
# 特别程序 (Administrative Licensing Law Art. 45; GB/T 39046 A.7 code 1 = 延长审批).
SPECIAL_PROCEDURES = {"extension": "延长审批", "hearing": "听证", "inspection": "检验检测检疫",
                      "appraisal": "鉴定", "expert_review": "专家评审", "site_survey": "现场勘查",
                      "publicity": "公示", "tender": "招标拍卖"}
PAUSE_KINDS = {SUPPLEMENT: "补正", **SPECIAL_PROCEDURES}

# -- 好差评 ---------------------------------------------------------------------

# 好差评 levels (domain.md §3.2), named: other systems number them in either order,
# so map explicitly at each boundary (``EVALUATION_CODES``: GB/T 39046 A.8).
EVALUATION_LEVELS = {"very_satisfied": "非常满意", "satisfied": "满意",
                     "basically_satisfied": "基本满意", "dissatisfied": "不满意",
                     "very_dissatisfied": "非常不满意"}
EVALUATION_CODES = {level: code for code, level in enumerate(EVALUATION_LEVELS, 1)}
SATISFIED = frozenset({"very_satisfied", "satisfied", "basically_satisfied"})  # 满意率 counts these
BAD_REVIEWS = frozenset({"dissatisfied", "very_dissatisfied"})                 # 差评
