"""Write ``config/catalog/reform.json``: the 1,229 → 106 reform history, as data.

Run after changing the current catalog, review the diff, and commit the JSON::

    python -m tools.make_reform

Shenyang's city-level approval items went from 1,229 (2002) to 106 (2015) by
cancelling (取消), devolving to districts or streets (下放), merging (合并) and
converting to filing (转换为备案). The public record gives the totals and a few
waypoints (1,229 → 301 in 2002, 110 by 2012, 106 by 2015; domain.md §0), not
the item list, so this script rebuilds a plausible one:

* the start catalog is the 99 surviving matters of ``matters.json`` that
  existed in 2002 (not those created after the history: ``established``), the
  items those later matters took the place of (``established.replaces``: in
  force when the history ends, in March 2015), the items that merges folded
  into others (``MERGES``) and
  filler items generated from ``ITEMS``, realistic 2002-era approvals per
  department written with shell-style braces (``X{甲,乙}`` → X甲, X乙; a ``@``
  marks a service that went down to the street centers);
* ``BATCHES`` say how many filler items each batch cancelled, devolved or
  converted, and why; a fixed-seed shuffle and each name's wording (年检 and
  资格认定 are cancelled, 核准 and 登记 become filings, 个体 and 零售 go to the
  districts) decide which ones.

Codes: ``SY`` + the department's two-digit number + a three-digit sequence.
Survivors keep their codes; other items take the free numbers; a matter
created by a merge gets 901 and up, so its code shows it is younger than 2002.
Same inputs, same file: the output is deterministic, and
``tests/sync/test_catalog_history.py`` checks the committed JSON is exactly it.
Which filler item met which fate is synthetic; the totals and waypoints are
the record's, and the merges are real reforms of the kind (e.g. 不动产统一登记).
"""
from __future__ import annotations

import itertools
import json
import random
import re
import sys

import config
from sync.catalog_history import batches, load_departments, load_matters, parse_reform, replay

# (batch, the matter as named today, its 2002 name if it absorbed the others
#  (None: a new matter), the merged items as (name, department), reason)
MERGES = [
    (2, "旅馆业特种行业许可证核发", "旅馆业特种行业许可证核发",
     [("旅馆业特种行业许可证变更", "police")],
     "同一许可的核发与变更分设两项，设立不尽确切，合并为一个事项办理"),
    (2, "道路旅客运输经营许可", "道路旅客运输经营许可（班车客运）",
     [("道路旅客运输经营许可（包车客运）", "transport"), ("道路旅客运输经营许可（旅游客运）", "transport")],
     "按客运类型分设的三项许可审查条件相同，依照《中华人民共和国道路运输条例》合并为道路旅客运输经营许可"),
    (3, "社会保险参保登记（企业职工）", "企业职工基本养老保险参保登记",
     [("失业保险参保登记", "hrss"), ("工伤保险参保登记", "hrss"), ("生育保险参保登记", "hrss")],
     "各险种分别办理参保登记，改为一个窗口统一受理，合并为社会保险参保登记"),
    (3, "建设工程规划许可证核发", "建设工程规划许可证核发（建筑工程）",
     [("建设工程规划许可证核发（市政管线工程）", "natres"), ("建设工程规划许可证核发（市政交通工程）", "natres")],
     "同一许可按工程类别分设三项，设立不尽确切，予以合并，由一个处室审核"),
    (3, "护士执业注册", "护士执业注册", [("护士变更注册", "health"), ("护士延续注册", "health")],
     "首次、变更、延续注册合并为一个事项，统一受理、统一审核"),
    (4, "医师执业注册", "医师执业注册", [("医师变更执业注册", "health")],
     "首次注册与变更注册审查内容相同，合并为一个事项"),
    (4, "建筑工程施工许可证核发", "建筑工程施工许可",
     [("建设工程质量监督手续办理", "housing"), ("建设工程安全监督手续办理", "housing")],
     "工程质量、安全监督手续并入施工许可一并办理，减少建设单位往返"),
    (4, "排污许可证核发", "排放大气污染物许可证核发", [("排放水污染物许可证核发", "ecoenv")],
     "大气、水污染物排放许可分设两项，合并为排污许可证核发，一证管理"),
    (5, "企业投资项目核准", "内资企业投资项目核准", [("外商投资项目核准", "ndrc")],
     "内资、外资企业投资项目核准条件与程序一致，合并为企业投资项目核准"),
    (5, "城镇污水排入排水管网许可", "城市排水许可", [("排水设施接管审批", "water")],
     "排水设施接管审批并入排水许可，一次申请、一并审查"),
    (6, "不动产转移登记", None, [("房屋所有权转移登记", "property"), ("国有建设用地使用权转移登记", "natres")],
     "《不动产登记暂行条例》自2015年3月1日起施行，房屋、土地分别办理的转移登记整合为不动产转移登记，由不动产登记机构统一办理"),
]

# (name, date, [(op, count of filler items, reason[, to_level])]); merges come from MERGES.
BATCHES = [
    ("沈阳市第一批取消和调整行政审批事项", "2002-07-01", [
        ("cancel", 540, "本市自行设立的审批事项，没有法律、法规依据，原则上全部取消"),
        ("cancel", 161, "凡是不适应市场经济发展的，不再保留"),
        ("convert", 157, "凡是不具有审批实质的，转换管理方式，改为备案管理"),
        ("devolve", 70, "凡是能下放到区县（市）的，市直部门不再审批，下放区县（市）政府职能部门就近办理", "district"),
    ]),
    ("沈阳市第二批取消和调整行政审批事项", "2004-07-01", [
        ("cancel", 40, "依照《中华人民共和国行政许可法》清理，设定依据不符合该法规定的审批事项一律取消"),
        ("convert", 12, "依照《中华人民共和国行政许可法》，不属于行政许可的事项改为备案管理"),
        ("devolve", 8, "下放区县（市）实施，就近办理", "district"),
    ]),
    ("沈阳市第三批取消和调整行政审批事项", "2007-01-01", [
        ("cancel", 22, "凡是国家明令取消的，我市坚决取消"),
        ("devolve", 14, "市行政审批服务中心启用，面向区域内企业的事项下放区县（市）政务服务中心办理", "district"),
        ("devolve", 4, "面向居民个人的事项下沉街道（乡镇）便民服务中心，就近办理", "street"),
        ("convert", 8, "凡是不具有审批实质的，转换管理方式，改为备案管理"),
    ]),
    ("沈阳市第四批取消和调整行政审批事项", "2010-06-01", [
        ("cancel", 18, "可以通过市场机制或行业自律解决的审批事项，予以取消"),
        ("devolve", 12, "扩大区县（市）经济社会管理权限，下放区县（市）实施", "district"),
        ("devolve", 4, "便民服务事项下沉街道（乡镇）便民服务中心办理", "street"),
        ("convert", 10, "事前审批改为事后备案监管"),
    ]),
    ("沈阳市第五批取消和调整行政审批事项", "2012-10-01", [
        ("cancel", 10, "落实国务院取消和调整行政审批项目的决定，同步取消"),
        ("devolve", 8, "凡是能下放到区县（市）的，市直部门不再审批", "district"),
        ("convert", 5, "凡是不具有审批实质的，转换管理方式，改为备案管理"),
    ]),
    ("沈阳市第六批取消和调整行政审批事项", "2015-03-01", [
        ("cancel", 3, "凡是国家明令取消的，我市坚决取消"),
    ]),
]
START_COUNT = 1229
WAYPOINTS = {1: 301, 5: 110, 6: 106}   # in force after batch n (domain.md §0 and the article)

# Filler items per department: realistic 2002-era city approvals that did not survive.
ITEMS = {
    "ndrc": """基本建设项目{建议书审批,可行性研究报告审批,初步设计审批,开工报告审批,竣工验收} 技术改造项目{立项审批,可行性研究报告审批,竣工验收}
        利用外资项目{建议书审批,可行性研究报告审批} 招标方案核准 重点建设项目稽察 价格认证机构资质认定
        {行政事业性收费,经营服务性收费,物业服务收费,停车场收费,医疗服务价格,民办学校收费,有线电视收费,殡葬服务收费,公路车辆通行费,景区门票价格,供热价格,出租汽车运价,商品房价格}标准审批
        收费许可证{核发,年审} 价格鉴证人员资格认定 价格评估机构{资质认定,年检} 节能产品认定 资源综合利用认定 清洁生产审核验收
        工程咨询单位资格初审 招标代理机构资格初审 粮食收购资格{认定,年审} 粮油加工企业资格审核 军粮供应网点认定 粮食仓储企业备案审核
        投资项目{登记备案审核,转贷审批} 国债项目资金拨付审核 电力建设项目审批 热电联产项目审批 城市集中供热项目核准
        {重点建设项目,技术引进项目,高技术产业化项目}立项审批 粮食企业{改制方案审批,资产处置审批} 价格监督检查员资格认定 物价检查证核发""",
    "education": """{民办幼儿园,民办小学,民办初级中学,社会力量办学机构,文化补习学校,计算机培训学校,外语培训学校,艺术培训学校,职业技能培训学校}{设立审批,变更审批,年检}
        中小学教材选用审批 教辅材料征订审批 中小学校舍改建审批 学校撤并审批 中小学生出国研学审批 普通话水平测试等级证书核发
        中小学教师职务评审 中小学生转学审批 学校收费项目审核 @适龄儿童入学资格审核 @学生资助资格审核 教师资格{注册,定期注册} 中小学校长任职资格认定
        普通高中{招生计划审批,择校费审批} 幼儿园{等级评定,收费审核} 中小学生{学籍变更审批,休学审批} 学校{更名审批,分立合并审批}
        教育评估机构资格认定 中外合作办学初审""",
    "science": """科技型中小企业认定 高新技术产品认定初审 民营科技企业{认定,年检} 技术合同认定登记 科技成果登记 科技中介机构资格认定
        生产力促进中心认定 科学技术普及基地认定 实验动物许可证初审 科技企业孵化器认定 引进国外智力项目审批 出国培训项目审批
        科技计划项目立项审批 农业科技园区认定 工程技术研究中心认定 重点实验室认定 科技型企业技术创新资金审核 专利申请资助审批
        专利代理机构设立初审 知识产权示范企业认定 技术市场交易会审批 软件著作权登记资助审批""",
    "industry": """企业技术中心认定 中小企业信用担保机构{资格认定,年检} 散装水泥{使用审批,专项资金返退审批} 新型墙体材料{认定,专项基金返还审批}
        民用爆炸物品销售许可初审 电力用户受电工程设计审查 自备电厂建设审批 燃煤锅炉使用审批 工业园区设立审批 软件企业认定初审
        集成电路设计企业认定初审 信息系统集成资质初审 企业兼并重组审批 监控化学品使用审批 电力设施迁改审批 有序用电方案审批
        企业上市辅导推荐 技术改造贴息项目审批 {工业,信息化}专项资金项目审批 电力需求侧管理项目审批 无线电台（站）设置初审
        计算机信息系统集成企业资质年检 中小企业服务机构认定""",
    "ethnic": """宗教活动场所{登记,变更登记,注销登记,年检} 宗教团体成立审核 宗教教职人员{备案审核,资格认定} 大型宗教活动审批 宗教印刷品审批
        宗教内部资料性出版物审批 少数民族特需商品定点生产企业认定 清真食品{生产经营许可,标识审批,从业人员资格认定} 民族成分变更审批
        宗教院校设立初审 清真饮食服务企业年检 清真食品经营场所认定 宗教活动临时场所审批""",
    "police": """{印章刻制业,旧货业,典当业,开锁业,废旧金属收购业}特种行业许可 公章刻制审批 保安服务公司设立初审 保安培训机构设立审批
        金融机构营业场所安全防范设施验收 技防工程{设计方案审批,竣工验收} 技防企业资质{审批,年检} 公务用枪持枪证件核发 民用枪支配购审批
        弩的销售审批 管制刀具{生产审批,销售审批} 易制毒化学品购买备案审核 爆破作业单位许可 爆炸物品{使用许可,购买许可,运输许可}
        烟花爆竹燃放许可 焰火晚会燃放审批
        {户口农转非,投靠亲属落户,夫妻投靠落户,退休人员回城落户,大中专毕业生落户,购房落户,投资落户,户口性质变更}审批
        @寄住户口登记 @暂住证核发 更改姓名审批 更正出生日期审批 因私出境{政审,审批} 外国人临时住宿登记 互联网上网服务营业场所安全审核 计算机信息系统安全专用产品销售许可 娱乐场所治安审核
        营业性射击场设立审批 @犬类准养证核发 剧毒化学品公路运输通行证核发 放射性物品道路运输许可 大型活动安保方案审核
        民用爆炸物品储存库验收 出租房屋治安许可
        {金银首饰加工业,摩托车修理业,汽车修理业,复印打字业,洗浴业,歌舞娱乐业}治安许可 身份证异地办理审批 临时身份证核发
        户口{迁出审批,迁移证签发,准迁证签发} @户口簿补领 @户口登记项目变更 保安员资格认定 单位内部治安保卫机构设立审核
        枪支弹药运输许可 射击运动枪支配置审批 易制爆化学品购买审批 烟花爆竹道路运输许可 安全技术防范产品销售许可
        信息网络安全检测机构资格认定 互联网单位备案审核 计算机病毒防治产品销售许可""",
    "civil": """社会团体{变更登记,注销登记,年检} 民办非企业单位{变更登记,注销登记,年检} 基金会设立初审 社会福利机构{设立审批,年检}
        敬老院设立审批 殡仪馆设立审批 经营性公墓设立初审 骨灰存放设施建设审批 殡葬服务单位年检 {收养,解除收养,涉外收养}登记
        婚姻介绍机构{设立审批,年检} 行政区域界线变更审核 门牌号码编制审批 居民委员会设立审批 福利企业资格{认定,年检}
        假肢矫形器生产装配企业资格认定 @城市居民最低生活保障资格审批 @农村五保供养审批 @临时救助审批 社区服务中心设立审批
        慈善超市设立审批 福利彩票销售站设立审批 @老年人优待证核发 @高龄津贴审批 @困难残疾人生活补贴审批 救灾捐赠物资分配审批
        地名标志设置审批
        {社会团体分支机构,社会团体代表机构}{设立登记,变更登记} 社团印章刻制审批 社会福利院年检 老年公寓设立审批 殡葬用品生产经营审批
        公益性墓地建设审批 区划调整审核 @城市低收入家庭认定 @特困供养人员认定 @孤儿基本生活费审批 慈善组织认定""",
    "justice": """律师事务所{年检,变更审核} 律师执业证年检 公证处设立初审 公证员执业审核 基层法律服务所{设立审批,年检}
        基层法律服务工作者执业证年检 司法鉴定机构{登记初审,年检} 司法鉴定人执业登记初审 人民调解委员会设立审核
        香港澳门律师事务所代表处设立初审 法律服务收费审核 @法律援助经济困难审核 律师事务所分所年检""",
    "finance": """会计从业资格证书{核发,年检} 会计人员继续教育审核 会计师事务所{设立初审,分所设立初审} 代理记账机构年检 注册会计师注册初审
        资产评估机构设立初审 政府采购代理机构资格认定 政府采购供应商资格审查 行政事业单位国有资产处置审批 行政事业性收费票据核发
        财政票据年检 彩票销售审核 中介机构执业质量检查 会计电算化软件评审 先进会计工作者评选""",
    "hrss": """劳动合同鉴证 集体合同审查 {职业介绍机构,职业培训机构,职业技能鉴定所,人才中介服务机构}{设立审批,年检}
        台港澳人员就业许可 劳务派遣单位设立初审 企业裁减人员方案审核 企业年金方案备案审核 企业工资总额审批 特殊工种提前退休审批
        因病提前退休审批 劳动能力鉴定 工伤职工{康复审批,转诊转院审批,辅助器具配置审批} 社会保险缴费基数核定 社会保险稽核
        @流动人员人事档案管理审核 专业技术职务任职资格评审 专业技术人员资格证书核发 出国留学人员回国认定 博士后科研工作站设立初审
        人事代理机构资格认定 事业单位公开招聘方案审核 @灵活就业人员社会保险补贴审批 @就业困难人员认定 @失业登记 职业资格证书核发
        技工学校设立审批 民办技工学校年检
        {劳动争议仲裁员,劳动保障监察员}资格认定 用人单位招用人员备案审核 外来务工人员就业证核发 @就业失业登记证核发 @再就业优惠证核发
        下岗失业人员小额担保贷款审核 企业职工{工伤保险费率核定,养老保险转移审批,退休年龄审核} 机关事业单位{退休审批,调资审批}
        职称外语考试免试审批 技术工人等级证书核发 高级技师评审 国家职业资格鉴定站设立审批 民办职业培训机构办学许可 劳务输出机构资格认定""",
    "natres": """国有土地使用权{出让审批,划拨审批,转让审批,出租审批} 集体土地征收审核 农用地转用审核
        土地复垦方案审查 土地开发整理项目审批 土地价格评估结果确认 土地估价机构资格初审 城市规划设计单位资质初审 测绘资质初审
        测绘成果使用审批 建设工程竣工测量成果审核 建设工程设计方案审查 修建性详细规划审批 城市雕塑设计方案审批
        临时建设工程规划许可 建筑物外立面改造审批 规划条件变更审批 矿产资源开采审批 采石取土审批 地质灾害危险性评估审查
        地质勘查资质初审 探矿权转让审核 林地占用审核 林木采伐许可 野生动物驯养繁殖许可 木材运输证核发 @宅基地使用审核
        @农村村民住宅建设规划审批 土地登记代理机构资格认定 城市规划编制单位年检
        建设用地批准书核发 土地使用权分割转让审批 土地用途变更审批 国有土地租赁审批 划拨土地使用权补办出让审批 土地使用权收回审批
        地籍测绘成果审核 土地征收补偿安置方案审核 农村集体建设用地审批 乡镇企业用地审批
        临时用地复垦验收 建筑工程放线验线 历史文化街区建设审批 城市地下空间开发规划审批 测绘项目登记 测量标志拆迁审批 地图审核
        基础测绘成果提供审批 矿山地质环境治理方案审查 采矿权转让审核 地热资源开采审批""",
    "ecoenv": """建设项目环境保护设施竣工验收 排放污染物申报登记审核 排污费核定 环境监测机构资质认定 环保设施拆除闲置审批 噪声超标排放审批
        夜间施工审批 危险废物转移联单审批 危险废物经营许可初审 放射性同位素使用许可初审 辐射安全许可 机动车环保检验合格标志核发
        机动车尾气检测机构资格认定 锅炉烟尘排放审批 环境污染治理设施运营资质初审 环境影响评价机构资质初审 清洁生产审核
        自然保护区建设项目审核 饮用水水源保护区建设项目审核 餐饮业油烟排放审批 建筑施工扬尘排放审批 畜禽养殖场环保审批
        建设项目环境影响登记表审批 排污许可证年检 环保产品认定
        {工业固体废物,医疗废物}处置审批 排污口设置审批 环保设施{运行审核,停运审批} 声环境功能区调整审批 放射源{转让审批,转移审批}
        污染物排放总量核定 环境标志产品认证初审""",
    "housing": """建设工程{施工招标审批,监理招标审批,初步设计审批,造价审核} 招标文件备案审核 施工图设计文件审查 建筑业企业资质年检
        {工程监理,工程勘察设计,工程造价咨询,建设工程质量检测}企业资质初审 建筑施工企业安全生产许可初审 预拌混凝土企业资质审批
        建设工程竣工验收备案审核 外地施工企业进沈备案审核 建筑施工特种作业人员资格认定 二级建造师注册初审 城市供热{经营许可,设施改造审批}
        燃气设施改动审批 燃气器具安装维修资质审批 瓶装液化石油气供应站设立审批 二次供水设施卫生审核 市政设施改建审批
        城市桥梁上架设管线审批 园林绿化企业资质初审 城市绿地占用审批 城市树木砍伐审批 城市绿化工程设计方案审查 风景名胜区建设项目审批
        墙体材料革新基金减免审批 城市基础设施配套费减免审批 建设工程开工审批 建筑节能设计审查
        建设工程{施工合同备案审核,监理合同备案审核,质量事故处理审批} 建筑业企业安全生产条件审查 建设工程施工安全措施审查
        施工现场{围挡设置审批,夜间施工许可} 建筑起重机械{备案审核,安装告知审核} 预拌砂浆企业资质审批 建设工程质量检测人员资格认定
        建筑施工企业项目经理资质认定 监理工程师注册初审 建设工程抗震设计审查 城市供水工程竣工验收 城市供水水质检测机构认定
        城市燃气工程竣工验收 燃气经营企业年检 液化石油气储配站设立审批 城市照明设施{建设审批,迁移审批} 城市排水工程竣工验收
        园林绿化工程竣工验收 城市古树名木迁移审批 公园建设项目审批 商品混凝土搅拌站设立审批 建设工程招标代理机构年检""",
    "property": """@房屋租赁登记 商品房预售许可变更 商品房预售合同登记备案审核
        房屋拆迁许可{,延期审批} 房屋拆迁单位资格认定 房屋拆迁评估机构资格认定 房地产估价机构资质初审 房地产中介服务机构资质审批
        房地产经纪人员资格认定 物业管理企业资质{核定,年检} 住宅专项维修资金使用审批 @经济适用住房购买资格审核 @廉租住房资格审核
        直管公房{出售审批,租赁审批} 白蚁防治单位资质审批 房屋安全鉴定机构资格认定 危险房屋鉴定 住宅装修审批 房地产开发项目手册核发
        房地产开发企业资质年检
        房屋权属争议调处 房屋面积测绘成果审核 房屋交易资金监管审核 商品房交付使用备案审核 物业服务合同备案审核 业主委员会备案审核
        @房屋拆迁补偿安置协议审核""",
    "urbanmgmt": """城市生活垃圾经营性清扫收运处置许可 城市生活垃圾经营性服务企业年检 @临时占用城市道路设摊审批 @门店牌匾设置审批 霓虹灯设置审批
        临街建筑物外装修审批 城市户外公益广告设置审批 @店外经营审批 公厕设置审批 城市粪便处置审批 渣土运输车辆准运证核发
        环卫作业单位资质审批 城市夜景灯饰设置审批 临时建筑物设置审批 条幅标语悬挂审批 气球广告悬挂审批 户外广告设施年检
        城市道路照明设施迁移审批 街路冠名审批
        {施工工地,渣土消纳场}设置审批 城市建筑物外立面清洗审批 @门前三包责任书核定 环卫设施拆除审批 垃圾中转站设置审批""",
    "transport": """出租汽车经营权{有偿出让,转让审批} 出租汽车驾驶员从业资格证核发 出租汽车营运证年审 汽车维修{经营许可,企业年检}
        机动车驾驶员培训机构{设立审批,年检} 道路运输站场经营许可 货运代理经营许可 危险货物运输经营许可 客运线路经营权审批 客运班线延伸审批
        道路运输车辆{营运证核发,年审} 道路运输从业人员资格证核发 公交线路{经营权审批,调整审批} 公路路政许可 公路两侧建筑控制区建设审批
        公路绿化审批 在公路上增设平面交叉道口审批 跨越公路修建桥梁审批 公路用地上埋设管线审批 水路运输许可 船舶营运证核发 港口经营许可
        汽车租赁经营许可 出租汽车更新审批 交通建设工程{施工许可,竣工验收} 交通工程监理资格认定
        出租汽车{经营者资格认定,企业资质年审,驾驶员服务资格年审} 客运出租汽车计价器检定 道路运输经营许可证年审
        机动车维修企业{类别变更审批,年审} 汽车综合性能检测站资格认定 客运站{级别核定,经营许可} 道路货物运输站场经营许可
        危险货物运输从业人员资格认定 道路运输车辆{技术等级评定,二级维护竣工质量审核} 公路{桥梁限载标志设置审批,施工许可}
        公路养护作业审批 铁路道口设置审批 长途客运线路审批 旅游客运线路审批 班线客运车辆更新审批 公交车辆更新审批
        汽车客运站站务员资格认定 交通运输企业安全生产资格认定""",
    "water": """水利工程建设项目审批 河道管理范围内建设项目审查 河道采砂许可 占用河道审批 围垦河道审批 水利工程{开工审批,竣工验收,管理范围内建设审批}
        防洪影响评价审批 取水工程验收 水资源费征收 凿井审批 城市自备井审批 城市供水企业资质审批 城市节约用水计划审批 超计划用水加价审批
        二次供水设施建设审批 排水许可年审 城市排水设施占用审批 蓄滞洪区建设项目审批 @农村饮水工程审批 水土保持设施验收 节水型器具认定
        水利工程质量检测单位资质初审
        {城市供水,城市排水}工程设计审查 供水企业年检 城市公共供水管网接水审批 水利工程建设监理资格认定 水利水电工程施工资质初审
        河道堤防{占用审批,穿越审批} 水库管理范围内建设审批 水文测站设立审批""",
    "agri": """@农药经营许可 肥料登记初审 饲料生产企业设立初审 饲料添加剂经营许可 兽医执业资格认定 @动物诊疗许可 动物检疫合格证明核发
        种畜禽生产经营许可 水产苗种生产许可 水域滩涂养殖证核发 渔业捕捞许可 渔船登记 @农机驾驶证核发 @拖拉机登记 农机维修资格认定
        农作物种子检验机构考核 农产品质量安全检测机构考核 无公害农产品产地认定 绿色食品标志使用审核 农民专业合作社示范社认定
        农业产业化重点龙头企业认定 生鲜乳{收购站许可,运输许可} @乡村兽医登记 生猪定点屠宰厂审批 植物检疫证书核发 农业机械推广鉴定
        @农村土地承包经营权流转审核 农业转基因生物加工审批初审 农作物种子经营许可证年检
        {农药,兽药,饲料}广告审查 农作物种子{生产许可证年检,质量检验员资格认定} 食用菌菌种生产许可 蚕种生产许可 动物防疫监督员资格认定
        种畜禽场验收 畜禽养殖场备案审核 水产养殖证年审 渔业船员证书核发 渔业船舶检验 农业机械{安全检验,牌证核发}
        联合收割机跨区作业证核发 农药登记初审 无公害畜产品认定 基本农田保护区调整审核 农业综合开发项目审批 化肥经营许可
        农村能源工程验收""",
    "commerce": """外商投资企业{设立审批,变更审批,合同章程审批,年检} 对外贸易经营者备案登记 加工贸易业务批准 进出口许可证初审 机电产品进口审核
        境外投资企业设立审批 对外劳务合作经营资格初审 拍卖企业设立初审 典当行设立初审 旧货市场设立审批 二手车交易市场设立审批
        汽车品牌经销商备案审核 成品油批发经营资格初审 酒类{批发许可,零售许可} 商业网点规划审核 大型商业网点建设审批 再生资源回收经营者登记
        报废汽车回收企业资格初审 商品展销会审批 单用途商业预付卡备案 直销企业服务网点核查 外经贸发展专项资金审核 生猪产品流通审批
        外商投资企业{股权转让审批,延长经营期限审批,解散审批,进出口商品经营范围审批} 中外合资企业合同审批 外商投资商业企业审批
        对外承包工程资格初审 进出口配额分配审核 自动进口许可证核发 边境小额贸易审批 拍卖业务许可证年检 典当行年检 特许经营备案审核
        大型零售企业设立审核 餐饮企业等级评定 美容美发企业等级评定 洗染业经营许可 旧货业经营许可 废旧物资回收站点设立审批
        商品市场设立审批 @早夜市设立审批""",
    "culture": """{文艺表演团体,演出经纪机构,演出场所经营单位,娱乐场所,音像制品批发单位,@音像制品零售单位}设立审批
        {电影放映单位,出版物批发单位,@出版物零售单位,印刷企业,美术品经营单位,文物商店,博物馆}设立审批
        {娱乐场所,印刷企业,旅行社,网吧}年检 内部资料性出版物准印证核发 艺术品拍卖审批 文物保护单位维修审批 文物保护范围内建设工程审批
        考古发掘审批 旅游景区质量等级评定 星级饭店评定 导游证{核发,年审} 有线电视站设立审批 广播电视节目制作经营许可初审
        广播电视设施迁建审批 卫星地面接收设施安装服务许可 涉外文艺演出审批 社会艺术水平考级机构审批 文化市场经营许可证年检
        {卡拉OK歌舞厅,电子游戏经营场所,台球厅,音像制品出租单位,书刊零售单位,电影院}设立审批 文化娱乐场所年检
        演出{经营许可证年检,场所安全审核} 营业性演出节目内容审核 文物{进出境审核,复制审批,拍卖标的审核}
        文物保护单位保护范围内{建设审批,爆破审批} 不可移动文物{迁移审批,修缮审批} 图书馆设立审批 出版物发行员资格认定
        报刊发行许可 印刷品{承印审批,出境审批} 广播电视{节目传送审批,设施保护范围内建设审批} 有线电视网络工程{设计审批,验收}""",
    "health": """医疗机构设置审批 医疗机构校验 医疗机构变更登记 @个体诊所设置审批 中医诊所设置审批 医师资格认定 @乡村医生执业注册
        母婴保健技术服务执业许可 母婴保健技术考核合格证核发 婚前医学检查机构认定 计划生育技术服务机构执业许可 @生育服务证核发 @二孩生育审批
        @独生子女父母光荣证核发 @再生育审批 消毒产品生产企业卫生许可 生活饮用水供水单位卫生许可 涉及饮用水卫生安全产品卫生许可初审
        职业卫生技术服务机构资质初审 职业病诊断机构批准 放射工作人员证核发 医疗广告审查 采供血机构设置审批 大型医用设备配置审批
        医疗美容机构设置审批 公共场所从业人员健康证核发 食品卫生许可证核发 学校卫生许可 化妆品生产企业卫生许可 传染病菌毒种运输审批
        医疗机构评审 中医医疗机构评审
        医疗机构{名称变更审批,诊疗科目变更审批,床位变更审批} 医师{定期考核,多点执业审批} 外国医师来华短期行医许可
        台湾地区医师短期行医许可 院前急救机构设置审批 血站执业许可初审 单采血浆站设置初审 计划生育手术并发症鉴定 病残儿医学鉴定
        卫生检验机构资质认可 集中式供水单位卫生许可 二次供水单位卫生许可 餐具消毒单位卫生许可 公共场所卫生许可证年审
        健康相关产品卫生评价 医疗废物处置单位卫生审核 新建医院建设项目卫生审查 职业病危害{预评价审核,控制效果评价审核}
        放射防护设施竣工验收""",
    "veterans": """烈士评定审核 伤残等级评定 伤残抚恤关系转移 @在乡复员军人定期定量补助审批 带病回乡退伍军人认定 参战退役人员认定 义务兵退伍安置审批
        转业士官安置审批 军休干部安置审批 @优抚对象医疗补助审批 光荣院入院审批 烈士纪念设施修缮审批 @优抚对象身份认定""",
    "emergency": """危险化学品生产企业安全生产许可初审 危险化学品{使用许可,储存审批} 烟花爆竹批发许可初审 非药品类易制毒化学品经营备案审核
        特种作业人员操作{资格认定,证复审} 安全评价机构资质初审 安全培训机构资质认定 建设项目安全设施{设计审查,竣工验收}
        {生产经营单位主要负责人,安全管理人员}安全资格认定 职业危害申报审核 重大危险源备案审核 非煤矿山安全生产许可初审
        安全生产检测检验机构资质初审
        安全生产{标准化企业评定,应急预案备案审核} 危险化学品{包装物定点生产企业认定,运输企业安全审核} 矿山救护队资质初审
        特种作业人员培训机构认定""",
    "market": """个体工商户{开业登记,变更登记,注销登记,验照} @个体工商户名称登记 私营企业开业登记 企业年检 企业名称预先核准 企业集团登记
        外商投资企业登记 合伙企业登记 广告经营{许可,单位年检} 户外广告登记 商标印制单位资格认定 著名商标认定 经纪人资格认定
        经纪执业人员资格证书核发 拍卖企业登记 动产抵押登记 集贸市场登记 市场名称登记 农民专业合作社登记 企业法人分支机构登记
        计量器具{制造许可,修理许可} 计量标准考核 计量认证 强制检定计量器具登记 产品质量检验机构认可 锅炉压力容器使用登记
        电梯安装维修资格审批 起重机械安装改造许可 特种设备作业人员资格考核 气瓶充装许可 组织机构代码证{核发,年检}
        工业产品生产许可证初审 采用国际标准产品认可 名牌产品评定 企业标准备案审核 药品{零售企业GSP认证,批发企业GSP认证初审}
        第二类医疗器械经营企业许可 医疗机构制剂配制许可初审 保健食品经营卫生许可 {药品,医疗器械}广告审查 麻醉药品购用印鉴卡核发
        执业药师注册 中药饮片经营审批
        商品交易市场{开办登记,年检} 广告{发布登记,专业技术人员资格认定} 印刷品广告审批 户外广告年检 计量器具{型式批准初审,检定机构授权}
        计量检定员资格考核 眼镜制配计量合格认定 定量包装商品生产企业计量保证能力评价 产品质量仲裁检验 质量体系认证咨询机构审核
        商品条码注册初审 标准化良好行为企业确认 锅炉{安装许可,改造维修许可} 压力管道安装许可 厂内机动车辆{登记,年检} 电梯使用登记
        特种设备检验检测机构核准初审 生产许可证企业年审 药品{批发企业许可初审,零售企业变更审批,经营许可证换发}
        医疗器械{生产企业许可初审,产品注册初审} 第一类医疗器械产品注册 化妆品卫生许可初审 保健食品生产许可初审 药品购销员资格认定
        医疗机构制剂注册 药品出口证明核发 中药材种植基地认定 @食品生产加工小作坊登记""",
    "sports": """体育经营活动许可 体育场馆改变用途审批 {游泳场所,滑雪场,攀岩场所}开放许可 体育竞赛审批 社会体育指导员等级评定
        {运动员,裁判员}技术等级审批 体育彩票销售网点设立审核 @全民健身路径设置审批 武术馆校设立审批 体育类民办非企业单位设立审查
        体育经营许可证年检 体育场馆等级评定 健身俱乐部设立审批 体育赛事冠名审批""",
    "medinsur": """{定点医疗机构,定点零售药店}资格审查 医疗保险转诊转院审批 异地就医审批 大额医疗费用补助审批 生育保险待遇审批 医保定点协议年审
        城镇职工医保个人账户支取审批 @医疗救助审批 @家庭病床审批 医疗保险{特殊检查审批,特殊治疗审批} 大病医疗保险费用审核""",
    "foreign": """因公出国（境）任务审批 因公护照核发 外国记者采访审批 外国政府官员来访接待审批 涉外会议审批 友好城市交流审批
        APEC商务旅行卡申办审核 外事接待用车审批 涉外培训项目审批""",
    "airdef": """人防工程{施工图审查,竣工验收,平时使用审批,改造审批} 人防工程监理资格认定 人防工程设计资质初审 人防警报设施拆除审批
        人防工程防护设备生产企业资格认定 人防工程维护管理单位资格审核 人防工程竣工备案审核 人防工程易地建设审批""",
    "fund": """住房公积金{缴存比例审批,缓缴审批,降低缴存比例审批,转移审批,冲还贷审批,补缴审批,贷款展期审批} 住房公积金贷款担保机构认定
        单位住房公积金缴存登记 住房公积金{个人账户转移审批,封存审批}""",
    "disabled": """残疾人就业保障金减免审批 按比例安排残疾人就业审核 残疾人福利企业资格初审 盲人按摩机构审批 @残疾人机动轮椅车燃油补贴审批
        @残疾人辅助器具补贴审批 @残疾儿童康复救助审批 残疾人{就业服务机构认定,职业培训机构认定}""",
    "archives": """档案中介服务机构资格认定 集体和个人所有档案出卖审批 档案出境审批 档案复制件出版审批 重点建设项目档案验收 档案寄存审批
        档案数字化服务机构资格认定 档案{鉴定销毁审批,移交审核}""",
    "seismic": """地震安全性评价报告审定 重大建设工程抗震设防审核 地震监测设施保护范围内建设审批 地震安全性评价单位资格初审
        防震减灾示范社区认定 地震监测台网建设审批 地震观测环境保护审批 地震应急避难场所认定""",
    "weather": """气象信息服务单位资格认定 气象探测环境保护范围内建设审批 施放气球单位资质认定 防雷工程专业{设计,施工}资质初审
        防雷装置{定期检测,竣工验收} 大气环境影响评价气象条件论证审核 人工影响天气作业审批 气象专用技术装备使用审批 气象设施迁建审批 雷电灾害风险评估审核""",
    "tax": """税务登记证{核发,验证} 发票印制审批 普通发票领购簿核发 减免税审批 出口退税审批 企业所得税核定征收审批 延期申报核准
        @个体工商户定期定额核定 纳税信用等级评定 税控装置使用审批 跨区经营税收审批 印花税汇总缴纳审批 财务会计制度备案审核
        增值税一般纳税人资格认定 代开发票审批
        个人所得税{代扣代缴义务人认定,减免审批} 固定资产加速折旧审批 企业亏损弥补审核 {房产税,城镇土地使用税,车船税}减免审批
        资源综合利用企业税收认定 软件企业即征即退审批 福利企业增值税退税审批 发票{使用审批,缴销审批} 税务代理机构资格认定
        注册税务师注册初审 外出经营活动税收管理证明核发""",
    "fire": """消防产品市场准入审核 消防技术服务机构资质审核 消防设施维护保养检测机构资质初审 易燃易爆场所消防安全检查
        大型活动消防安全检查 建筑内部装修防火审核 消防安全重点单位认定 消防专用车辆改装审批 灭火器维修单位资格认定
        焰火晚会消防安全检查
        消防{设计单位资格初审,施工单位资格初审,监理资格认定} 建筑消防设施检测 消防产品{维修单位认定,使用审核}""",
    "traffic": """机动车{临时号牌核发,变更登记,转移登记,抵押登记,注销登记,号牌补领} 机动车安全技术检验机构资格审核 驾驶人培训学校资格审核
        驾驶员体检医院资格认定 驾驶证{审验,补证,转入} 特种车辆通行证核发 货车市区通行证核发 占道施工交通组织方案审批
        道路交通标志设置审批 临时停车场设置审批 @摩托车牌照核发 @农用运输车号牌核发 外地车辆进城通行证核发 校车标牌核发
        交通事故责任认定复核 机动车停车场设置审核 驾驶员培训教练员资格认定
        机动车{检验标志补领,改装审批,外廓尺寸变更审核} 驾驶人{考试资格审核,异地考试审批} {教练车,挂车,特殊车辆}号牌核发""",
    "tobacco": """烟草专卖批发许可初审 烟草专卖零售许可证{年检,变更} 卷烟零售户布局审核 烟草专卖品准运证核发 雪茄烟专卖审批 卷烟零售经营规范评定""",
    "postal": """邮政编码使用审批 集邮票品经营审批 快递业务经营许可初审 邮政企业停止办理邮政业务审批 代办邮政业务审批
        信件寄递业务委托审批 邮政专用品生产审批 邮件转运中心设置审批""",
}

# Which op a name suits, from its wording (checked in this order).
_DISTRICT = ("个体", "零售", "民办幼儿园", "民办小学", "民办初级中学", "补习学校", "培训学校", "婚姻介绍",
             "网吧", "娱乐场所", "诊所", "门店", "摊", "落户", "户口", "姓名", "出生日期", "收养", "农机",
             "拖拉机", "兽医",
             "动物诊疗", "出租房屋", "酒类")
_CANCEL = ("年检", "年审", "验照", "评定", "评选", "认定", "换发", "复审", "考核", "初审", "鉴证", "审定", "评审")
_CONVERT = ("核准", "审核", "验收", "登记")


def expand(text: str) -> list[str]:
    """Shell-style brace expansion of whitespace-separated entries."""
    names = []
    for entry in text.split():
        parts = re.split(r"\{([^}]*)\}", entry)   # odd indexes are brace groups
        choices = [p.split(",") if i % 2 else [p] for i, p in enumerate(parts)]
        names.extend("".join(combo) for combo in itertools.product(*choices))
    return names


def affinity(name: str) -> str | None:
    """The op a 2002 item's name suits best, or None when any would do."""
    if "@" in name:
        return "street"
    if any(w in name for w in _DISTRICT):
        return "district"
    if any(w in name for w in _CANCEL):
        return "cancel"
    if name.endswith(_CONVERT):
        return "convert"
    return None


def build() -> dict:
    """The reform document: the start catalog and the ordered operations."""
    departments = load_departments()
    matters = {m.name: m for m in load_matters()}
    created = {name for _, name, old, _, _ in MERGES if old is None}
    old_names = {name: old for _, name, old, _, _ in MERGES if old is not None}

    # Items by department: survivors with their codes first, then the rest to number.
    # A matter created after the history (``established``) is not in it; the items it
    # took the place of are, in force to the end, untouched.
    fixed = {m.basic_code: (old_names.get(m.name, m.name), m.department)
             for m in matters.values() if m.name not in created and m.established is None}
    later = [(r.name, r.department) for m in matters.values() if m.established
             for r in m.established.replaces or ()]
    to_number = [(name, dept) for *_, sources, _ in MERGES for name, dept in sources] + later
    fillers = [(name, dept) for dept, text in ITEMS.items() for name in expand(text)]
    needed = START_COUNT - len(fixed) - len(to_number)
    fillers = _trim(fillers, needed)
    to_number += fillers

    start = {code: {"code": code, "name": name, "department": dept}
             for code, (name, dept) in fixed.items()}
    # Today's codes are never given to another item, those of matters younger than the history too.
    used = set(start) | {m.basic_code for m in matters.values()}
    for name, dept in to_number:
        number = departments[dept].number
        seq = next(s for s in itertools.count(1) if f"SY{number:02d}{s:03d}" not in used)
        code = f"SY{number:02d}{seq:03d}"
        used.add(code)
        start[code] = {"code": code, "name": name.replace("@", ""), "department": dept}
    names = [item["name"] for item in start.values()]
    assert len(set(names)) == len(names) == START_COUNT, "duplicate or missing item names"

    code_of = {item["name"]: code for code, item in start.items()}
    filler_codes = [code_of[name.replace("@", "")] for name, _ in fillers]
    tags = {code_of[name.replace("@", "")]: affinity(name) for name, _ in fillers}
    random.Random(START_COUNT).shuffle(filler_codes)

    # Scarce kinds first, so a street service is devolved rather than cancelled
    # because items worded for cancelling ran out. Cancels go latest batch first:
    # the first batch ("本市自行设立的…原则上全部取消") can take whatever is left.
    planned = [(n, i, op) for n, (_, _, ops) in enumerate(BATCHES, start=1) for i, op in enumerate(ops)]
    picked = {}
    for kind in ("street", "district", "convert", "cancel"):
        for n, i, (op, count, reason, *level) in planned[::-1] if kind == "cancel" else planned:
            if (level[0] if level else op) == kind:
                picked[n, i] = _pick(filler_codes, tags, kind, count)

    operations = []
    for number, (batch, date, ops) in enumerate(BATCHES, start=1):
        for i, (op, count, reason, *level) in enumerate(ops):
            operations.append({"op": op, "batch": batch, "effective_date": date, "reason": reason,
                               "items": sorted(picked[number, i]),
                               **({"to_level": level[0]} if level else {})})
        for n, name, old, sources, reason in MERGES:
            if n != number:
                continue
            target = matters[name]
            items = [code_of[s] for s, _ in sources]
            if old is not None:
                items.insert(0, target.basic_code)
            operations.append({"op": "merge", "batch": batch, "effective_date": date, "reason": reason,
                               "items": items, "target": {"code": target.basic_code, "name": target.name,
                                                          "department": target.department}})
    assert not filler_codes, f"{len(filler_codes)} filler items left with no operation"
    for seq, operation in enumerate(operations, start=1):
        operation["seq"] = seq
    return {
        "title": "沈阳市市级行政审批事项改革（2002—2015）",
        "scope": ("计数对象为市级政府部门实施的行政审批事项。取消：不再审批；下放：改由区县（市）或街道（乡镇）实施，"
                  "移出市级目录；转换为备案：改为备案管理，不再是审批事项；合并：多项并为一项，净减少项数减一。"),
        "start": sorted(start.values(), key=lambda item: item["code"]),
        "operations": operations,
    }


def _trim(fillers: list, needed: int) -> list:
    # Drop from the tail of the largest departments until the start count is exact.
    if len(fillers) < needed:
        raise SystemExit(f"ITEMS has {len(fillers)} filler names; {needed} are needed")
    by_dept: dict[str, list] = {}
    for name, dept in fillers:
        by_dept.setdefault(dept, []).append(name)
    for _ in range(len(fillers) - needed):
        max(by_dept.values(), key=len).pop()
    return [(name, dept) for dept, names in by_dept.items() for name in names]


# Which wordings each kind takes, best first; whatever is left comes last.
_PREFERENCES = {"street": ("street", "district", None), "district": ("district", "street", None),
                "convert": ("convert", None),
                "cancel": ("cancel", None, "convert", "district", "street")}


def _pick(pool: list[str], tags: dict, want: str, count: int) -> list[str]:
    chosen: list[str] = []
    for accept in _PREFERENCES[want]:
        for code in [c for c in pool if tags[c] == accept][:count - len(chosen)]:
            pool.remove(code)
            chosen.append(code)
    if len(chosen) < count:
        raise SystemExit(f"not enough filler items for {want}: {len(chosen)} < {count}")
    return chosen


def render(reform: dict) -> str:
    """JSON with one start item per line and each operation's codes wrapped."""
    dump = lambda v: json.dumps(v, ensure_ascii=False)
    start = ",\n".join(f"    {dump(item)}" for item in reform["start"])
    ops = []
    for op in reform["operations"]:
        head = {k: v for k, v in op.items() if k != "items"}
        head = {"seq": head.pop("seq"), **head}
        codes = op["items"]
        rows = [", ".join(dump(c) for c in codes[i:i + 10]) for i in range(0, len(codes), 10)]
        items = ",\n      ".join(rows)
        ops.append(f"    {dump(head)[:-1]},\n     \"items\": [\n      {items}\n     ]}}")
    return (f'{{\n  "title": {dump(reform["title"])},\n  "scope": {dump(reform["scope"])},\n'
            f'  "start": [\n{start}\n  ],\n  "operations": [\n' + ",\n".join(ops) + "\n  ]\n}\n")


def main() -> None:
    reform = build()
    result = replay(parse_reform(reform))
    after = [summary.after for summary in batches(result)]
    for number, count in WAYPOINTS.items():
        assert after[number - 1] == count, f"batch {number} leaves {after[number - 1]}, not {count}"
    config.path("catalog/reform.json").write_text(render(reform), encoding="utf-8")
    print(f"wrote {len(reform['start'])} items and {len(reform['operations'])} operations",
          file=sys.stderr)


if __name__ == "__main__":
    main()
