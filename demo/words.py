"""The words of the demo city: code lists from docs/design.md and made-up but plausible names and texts."""

from __future__ import annotations

from typing import NamedTuple

from hazards.choices import Category, Factor, MajorStandard

# (code, name): the departments that 管行业必须管安全 puts in charge of the sectors below.
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("emergency", "应急管理局"),
    ("housing", "住房和城乡建设局"),
    ("education", "教育局"),
    ("civil_affairs", "民政局"),
    ("culture_tourism", "文化广电和旅游局"),
    ("market_regulation", "市场监督管理局"),
    ("transport", "交通运输局"),
    ("fire_rescue", "消防救援支队"),
    ("agriculture", "农业农村局"),
    ("water", "水利局"),
    ("development_reform", "发展和改革委员会"),
    ("health", "卫生健康委员会"),
    ("railway", "郑州铁路监督管理局"),
    ("civil_aviation", "民航河南安全监督管理局"),
)


class SectorRow(NamedTuple):
    code: str
    name: str
    department: str
    parent: str | None = None


# The rows of the national statistics tables, in their order (docs/design.md "Code lists").
SECTORS: tuple[SectorRow, ...] = (
    SectorRow("coal_mine", "煤矿", "emergency"),
    SectorRow("non_coal_mine", "非煤矿山", "emergency"),
    SectorRow("hazardous_chemicals", "危险化学品", "emergency"),
    SectorRow("fireworks", "烟花爆竹", "emergency"),
    SectorRow("industry_trade", "工贸", "emergency"),
    SectorRow("metallurgy", "冶金", "emergency", "industry_trade"),
    SectorRow("nonferrous", "有色", "emergency", "industry_trade"),
    SectorRow("building_materials", "建材", "emergency", "industry_trade"),
    SectorRow("machinery", "机械", "emergency", "industry_trade"),
    SectorRow("light_industry", "轻工", "emergency", "industry_trade"),
    SectorRow("textile", "纺织", "emergency", "industry_trade"),
    SectorRow("tobacco", "烟草", "emergency", "industry_trade"),
    SectorRow("commerce", "商贸", "emergency", "industry_trade"),
    SectorRow("construction", "建筑施工", "housing"),
    SectorRow("road_transport", "道路运输", "transport"),
    SectorRow("waterway", "水上交通", "transport"),
    SectorRow("railway", "铁路", "railway"),
    SectorRow("civil_aviation", "民航", "civil_aviation"),
    SectorRow("urban_gas", "城镇燃气", "housing"),
    SectorRow("oil_gas_pipeline", "油气长输管道", "development_reform"),
    SectorRow("special_equipment", "特种设备", "market_regulation"),
    SectorRow("fire_crowded_places", "消防（人员密集场所）", "fire_rescue"),
    SectorRow("school", "学校", "education"),
    SectorRow("hospital", "医院", "health"),
    SectorRow("elderly_care", "养老机构", "civil_affairs"),
    SectorRow("scenic_area", "旅游景区", "culture_tourism"),
    SectorRow("entertainment_venue", "文化娱乐场所", "culture_tourism"),
    SectorRow("agricultural_machinery", "农业机械", "agriculture"),
    SectorRow("water_conservancy", "水利", "water"),
    SectorRow("fishing_vessel", "渔业船舶", "agriculture"),
    SectorRow("electric_power", "电力", "development_reform"),
    SectorRow("ammonia_refrigeration", "涉氨制冷", "emergency"),
    SectorRow("combustible_dust", "粉尘涉爆", "emergency"),
    SectorRow("confined_space", "有限空间", "emergency"),
)

# Enterprise sectors: what the enterprise's name ends with. The first two characters of a 统一社会信用代码
# say who registered it: 91 企业 (市场监管), 93 农民专业合作社.
ENTERPRISE_TRADES: dict[str, tuple[str, tuple[str, ...]]] = {
    "coal_mine": ("91", ("煤业有限公司",)),
    "non_coal_mine": ("91", ("矿业有限公司", "石料有限公司")),
    "hazardous_chemicals": ("91", ("化工有限公司", "精细化工有限公司", "石化加油站有限公司")),
    "fireworks": ("91", ("烟花爆竹批发有限公司",)),
    "metallurgy": ("91", ("钢铁有限公司", "铸造有限公司")),
    "nonferrous": ("91", ("铝业有限公司", "铜业有限公司")),
    "building_materials": ("91", ("建材有限公司", "水泥有限公司", "新型墙材有限公司")),
    "machinery": ("91", ("机械制造有限公司", "起重机械有限公司", "汽车零部件有限公司")),
    "light_industry": ("91", ("食品有限公司", "纸业有限公司", "家具有限公司")),
    "textile": ("91", ("纺织有限公司", "化纤有限公司")),
    "tobacco": ("91", ("烟叶复烤有限公司",)),
    "commerce": ("91", ("商贸有限公司", "购物广场有限公司", "仓储物流有限公司")),
    "construction": ("91", ("建筑工程有限公司", "建设集团有限公司")),
    "road_transport": ("91", ("运输有限公司", "客运有限公司", "物流有限公司")),
    "waterway": ("91", ("黄河渡运有限公司",)),
    "railway": ("91", ("铁路专用线有限公司",)),
    "civil_aviation": ("91", ("通用航空有限公司",)),
    "urban_gas": ("91", ("燃气有限公司",)),
    "oil_gas_pipeline": ("91", ("天然气管道有限公司",)),
    "special_equipment": ("91", ("热力有限公司", "电梯工程有限公司")),
    "fire_crowded_places": ("91", ("酒店管理有限公司", "商业管理有限公司")),
    "scenic_area": ("91", ("旅游开发有限公司",)),
    "entertainment_venue": ("91", ("文化娱乐有限公司", "影城有限公司")),
    "agricultural_machinery": ("93", ("农机专业合作社",)),
    "fishing_vessel": ("93", ("渔业专业合作社",)),
    "electric_power": ("91", ("热电有限公司", "光伏发电有限公司")),
    "ammonia_refrigeration": ("91", ("冷链物流有限公司", "冷冻食品有限公司")),
    "combustible_dust": ("91", ("面粉有限公司", "木业有限公司", "金属制品有限公司")),
    "confined_space": ("91", ("污水处理有限公司", "酿造有限公司")),
}

TRADE_NAMES = (
    "华泰", "宏达", "鑫源", "金诚", "恒通", "瑞丰", "永盛", "天元", "豫新", "中原", "牧野", "卫河",
    "太行", "正阳", "新星", "长兴", "润泽", "博远", "嘉禾", "盛世", "富源", "同力", "汇通", "东升",
    "万达", "隆基", "广源", "顺达", "明辉", "兴业", "昌盛", "德信", "亿丰", "华联", "新飞", "金穗",
)  # fmt: skip

SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "郑", "梁", "宋", "唐", "许", "韩", "冯", "邓", "曹", "田", "董", "袁", "潘",
    "于", "蒋", "杜", "程", "魏", "苏", "吕", "丁", "任", "姚", "卢", "姜", "崔", "申", "牛", "范",
)  # fmt: skip
GIVEN_NAMES = (
    "建国", "建华", "志强", "海燕", "秀英", "丽娟", "伟", "芳", "军", "磊", "洋", "勇", "艳", "杰",
    "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "国庆", "红梅", "玉兰", "新民", "卫东",
    "晓东", "振华", "德胜", "文博", "俊杰", "志刚", "永强", "春梅", "利民", "书文", "保国", "瑞霞",
)  # fmt: skip

# Township and village names are composed, not real: the statistical codes under each county are made up.
PLACE_HEADS = (
    "东", "西", "南", "北", "大", "小", "新", "高", "李", "王", "张", "刘", "陈", "赵", "马", "孙",
    "朱", "徐", "郭", "胡", "杨", "黄", "冯", "宋", "韩", "范", "姚", "牛", "申", "司",
)  # fmt: skip
PLACE_TAILS = ("庄", "营", "集", "店", "寨", "屯", "岗", "桥", "楼", "固", "堤", "湾", "坡", "口", "召", "寺")
VILLAGE_PREFIXES = ("", "", "", "前", "后", "东", "西", "南", "北")
URBAN_NAMES = (
    "向阳", "和平", "建设", "胜利", "文化", "新华", "光明", "幸福", "健康", "团结", "朝阳", "东风",
    "丰华", "金穗", "滨河", "人民", "平原", "卫河", "牧野", "友谊", "中同", "劳动", "育才", "振中",
)  # fmt: skip
ROADS = ("人民路", "建设路", "解放大道", "平原路", "金穗大道", "新中大道", "胜利路", "和平路", "卫河路", "工业路")

SPOTS: dict[str, tuple[str, ...]] = {
    "industry": ("一号生产车间", "二号生产车间", "原料仓库", "成品库", "配电室", "空压机房", "装卸区"),
    "crowded": ("一楼大厅", "三楼走廊", "后厨", "地下车库", "宿舍楼", "东侧楼梯间"),
    "outdoor": ("作业现场东侧", "北侧作业区", "场区入口", "西侧边坡", "河道管理段"),
    "transport": ("调度监控室", "停车场", "车辆维修间", "渡口码头"),
    "gas": ("调压站", "阀室", "管道沿线", "用户后厨"),
    "power": ("配电室", "变电站", "电缆沟"),
}


class HazardText(NamedTuple):
    title: str
    description: str
    measures: str
    category: Category
    factor: Factor


_B, _S = Category.BASIC_MANAGEMENT, Category.SITE_MANAGEMENT
_HUMAN, _OBJECT, _ENV, _MGMT = Factor.HUMAN, Factor.OBJECT, Factor.ENVIRONMENT, Factor.MANAGEMENT


def _t(title: str, category: Category, factor: Factor, description: str, measures: str) -> HazardText:
    return HazardText(title, description, measures, category, factor)


# Hazard texts by group; every sector draws from its group and from GENERAL.
# fmt: off
HAZARD_TEXTS: dict[str, tuple[HazardText, ...]] = {
    "mine": (
        _t("采场边坡浮石未及时清理", _S, _ENV,
           "边坡上部有松动浮石，下方有人员和设备作业，存在坍塌和物体打击风险。",
           "组织清理边坡浮石，设置边坡监测点和警示标志，安排专人巡查。"),
        _t("局部通风机未实现双电源供电", _S, _OBJECT,
           "掘进工作面局部通风机仅有一路电源，停电时无法保证连续通风。",
           "增设备用电源并实现自动切换，完成切换试验并记录。"),
        _t("爆破作业人员未持证上岗", _B, _HUMAN,
           "现场爆破作业人员一人未取得爆破作业人员许可证。",
           "调离无证人员，组织培训取证后方可上岗。"),
    ),
    "chemical": (
        _t("储罐区可燃气体报警器未定期检定", _S, _OBJECT,
           "储罐区可燃气体检测报警器检定证书已过期。",
           "委托有资质机构完成检定，建立检定台账。"),
        _t("罐区防火堤排水阀常开", _S, _MGMT,
           "罐区防火堤雨水排放阀处于常开状态，泄漏时物料可能外流。",
           "排水阀改为常闭并挂牌管理，明确开启审批程序。"),
        _t("动火作业未办理作业许可", _B, _MGMT,
           "检修现场动火作业未办理动火安全作业证，未进行气体分析。",
           "停止作业，补办作业许可，组织特殊作业专项培训。"),
        _t("装卸人员未穿戴防静电工作服", _S, _HUMAN,
           "装卸区作业人员未穿戴防静电工作服，存在静电引燃风险。",
           "配发防静电工作服并纳入班前检查。"),
    ),
    "fireworks": (
        _t("仓库超量储存烟花爆竹", _S, _MGMT,
           "成品库实际存放量超过核定药量。",
           "清理超量产品并建立出入库台账，每日核对库存。"),
        _t("防雷装置未定期检测", _S, _OBJECT,
           "仓库防雷装置检测报告已过期。",
           "委托检测机构完成防雷检测并出具报告。"),
    ),
    "industry": (
        _t("设备传动部位防护罩缺失", _S, _OBJECT,
           "设备皮带传动部位未安装防护罩，存在机械伤害风险。",
           "加装固定式防护罩并检查同类设备。"),
        _t("配电箱未可靠接地", _S, _OBJECT,
           "配电箱外壳未做保护接地，存在触电风险。",
           "重新敷设保护接地线，经检测接地电阻符合要求。"),
        _t("叉车司机无证驾驶", _B, _HUMAN,
           "现场一名叉车驾驶人员未取得特种设备作业人员证。",
           "停止其驾驶作业，安排培训取证。"),
        _t("车间安全通道被物料占用", _S, _ENV,
           "车间安全通道堆放原材料，通道宽度不足。",
           "清理通道物料，划定通道标线并每日巡查。"),
        _t("熔融金属吊运未使用冶金起重机", _S, _OBJECT,
           "浇注工位吊运熔融金属使用通用桥式起重机。",
           "更换为冶金专用起重机并经检验合格后使用。"),
    ),
    "dust": (
        _t("除尘系统未设置锁气卸灰装置", _S, _OBJECT,
           "除尘器灰斗卸灰口未设置锁气卸灰装置。",
           "加装星型锁气卸灰阀，定期清灰并记录。"),
        _t("作业区域积尘未及时清扫", _S, _ENV,
           "抛光作业区地面和设备表面积尘严重。",
           "制定清扫制度，每班清扫并保存记录。"),
    ),
    "ammonia": (
        _t("液氨管道阀门锈蚀", _S, _OBJECT,
           "机房液氨管道阀门锈蚀严重，存在泄漏风险。",
           "更换锈蚀阀门，对管道进行除锈防腐。"),
        _t("氨气报警未与事故排风联锁", _S, _OBJECT,
           "氨气浓度报警装置未与事故排风机联锁。",
           "完成报警与排风联锁改造并测试合格。"),
    ),
    "confined": (
        _t("有限空间作业未先通风再检测", _B, _MGMT,
           "污水池清淤作业前未进行通风和气体检测。",
           "停止作业，配备检测仪器，严格执行作业审批。"),
        _t("有限空间未设置警示标识", _S, _MGMT,
           "厂区污水井、储罐等有限空间未设置安全警示标识。",
           "辨识有限空间并建立台账，设置警示标识。"),
    ),
    "construction": (
        _t("脚手架连墙件设置不足", _S, _OBJECT,
           "外脚手架连墙件间距超过方案要求。",
           "按专项方案补设连墙件，经验收合格后使用。"),
        _t("基坑临边防护缺失", _S, _ENV,
           "基坑周边未设置防护栏杆和警示标志。",
           "设置临边防护栏杆和夜间警示灯。"),
        _t("塔式起重机未经验收投入使用", _B, _MGMT,
           "塔式起重机安装后未组织验收即投入使用。",
           "停止使用，组织验收并办理使用登记。"),
        _t("临时用电未执行一机一闸一漏", _S, _OBJECT,
           "施工现场开关箱一闸多机，漏电保护器失效。",
           "更换漏电保护器，按规范整改开关箱。"),
    ),
    "transport": (
        _t("动态监控平台未设专人值守", _B, _MGMT,
           "客运车辆动态监控平台夜间无人值守。",
           "配齐监控人员，落实24小时值守制度。"),
        _t("驾驶员疲劳驾驶", _S, _HUMAN,
           "监控记录显示驾驶员连续驾驶超过4小时未停车休息。",
           "对驾驶员批评教育，完善排班和休息制度。"),
        _t("渡船救生衣配备不足", _S, _OBJECT,
           "渡船救生衣数量少于核定载客人数。",
           "按核定人数配齐救生衣并定期检查。"),
        _t("营运车辆安全技术检验过期", _S, _OBJECT,
           "两辆营运车辆安全技术检验已过期。",
           "停运车辆，完成检验后恢复营运。"),
    ),
    "gas": (
        _t("餐饮场所未安装燃气泄漏报警装置", _S, _OBJECT,
           "使用燃气的后厨未安装可燃气体泄漏报警装置。",
           "安装燃气泄漏报警和自动切断装置。"),
        _t("调压箱周边堆放杂物", _S, _ENV,
           "燃气调压箱周边堆放纸箱等可燃物。",
           "清理杂物，设置警示标志，纳入日常巡查。"),
        _t("管道中心线5米内有违章建筑", _S, _ENV,
           "管道中心线两侧5米范围内有违章搭建的彩钢房。",
           "协调属地政府拆除违章建筑，加密巡线。"),
    ),
    "equipment": (
        _t("电梯超期未检验", _S, _OBJECT,
           "电梯定期检验合格标志已过有效期。",
           "停止使用，申请定期检验，合格后恢复运行。"),
        _t("压力容器安全阀未定期校验", _S, _OBJECT,
           "储气罐安全阀校验报告已过期。",
           "送检安全阀，校验合格后重新安装。"),
        _t("起重机械限位器失效", _S, _OBJECT,
           "桥式起重机起升高度限位器失效。",
           "维修更换限位器并试验合格。"),
    ),
    "crowded": (
        _t("疏散通道堆放杂物", _S, _ENV,
           "疏散通道内堆放桌椅和纸箱，影响人员疏散。",
           "清理通道杂物，落实每日防火巡查。"),
        _t("安全出口被锁闭", _S, _MGMT,
           "营业期间一处安全出口被铁链锁闭。",
           "拆除锁具，改为推闩式门锁。"),
        _t("灭火器压力不足", _S, _OBJECT,
           "部分灭火器压力指针处于红区。",
           "更换失效灭火器，建立月度检查记录。"),
        _t("电动自行车在楼道内充电", _S, _HUMAN,
           "楼道内有电动自行车停放充电。",
           "清理楼道车辆，设置集中充电区域。"),
        _t("应急照明和疏散指示标志损坏", _S, _OBJECT,
           "部分应急照明灯和疏散指示标志不亮。",
           "维修更换损坏灯具并测试。"),
    ),
    "rural": (
        _t("拖拉机未按期检验", _S, _OBJECT,
           "合作社两台拖拉机未按期参加安全检验。",
           "组织车辆参加年度安全检验。"),
        _t("渔船救生设备配备不足", _S, _OBJECT,
           "渔船救生圈、救生衣配备数量不足。",
           "按标准配齐救生设备。"),
        _t("水闸启闭机钢丝绳锈蚀", _S, _OBJECT,
           "水闸启闭机钢丝绳锈蚀、断丝。",
           "更换钢丝绳并进行启闭试验。"),
        _t("防汛物资储备不足", _B, _MGMT,
           "防汛仓库编织袋、救生衣等物资储备不足。",
           "按防汛预案补充物资并登记造册。"),
    ),
    "power": (
        _t("电缆沟积水未及时排除", _S, _ENV,
           "配电室电缆沟积水，电缆浸泡在水中。",
           "排除积水并封堵渗漏点，加装排水设施。"),
        _t("高压设备警示标识缺失", _S, _OBJECT,
           "高压开关柜前未设置警示标识和绝缘垫。",
           "设置警示标识，铺设绝缘垫。"),
        _t("工作票制度执行不严格", _B, _MGMT,
           "检修作业工作票填写不全、签发不规范。",
           "组织两票三制专项培训，规范工作票管理。"),
    ),
    "general": (
        _t("隐患排查治理台账不完整", _B, _MGMT,
           "隐患排查记录缺少整改责任人和完成时间。",
           "完善隐患排查治理台账，明确专人管理。"),
        _t("未按规定开展安全教育培训", _B, _HUMAN,
           "新入职员工未经三级安全教育即上岗。",
           "组织补训并考核，建立培训档案。"),
        _t("应急预案未组织演练", _B, _MGMT,
           "年度内未组织生产安全事故应急预案演练。",
           "制定演练计划并组织演练，形成评估报告。"),
        _t("安全生产责任制未覆盖全员", _B, _MGMT,
           "安全生产责任制未明确部分岗位的安全职责。",
           "修订全员安全生产责任制并组织签订责任书。"),
        _t("劳动防护用品佩戴不规范", _S, _HUMAN,
           "现场作业人员未按规定佩戴安全帽和防护手套。",
           "加强现场管理，将劳保用品佩戴纳入考核。"),
    ),
}
# fmt: on

SECTOR_GROUPS: dict[str, str] = {
    "coal_mine": "mine", "non_coal_mine": "mine", "hazardous_chemicals": "chemical", "fireworks": "fireworks",
    "metallurgy": "industry", "nonferrous": "industry", "building_materials": "industry", "machinery": "industry",
    "light_industry": "industry", "textile": "industry", "tobacco": "industry", "commerce": "crowded",
    "construction": "construction", "road_transport": "transport", "waterway": "transport", "railway": "transport",
    "civil_aviation": "transport", "urban_gas": "gas", "oil_gas_pipeline": "gas", "special_equipment": "equipment",
    "fire_crowded_places": "crowded", "school": "crowded", "hospital": "crowded", "elderly_care": "crowded",
    "scenic_area": "crowded", "entertainment_venue": "crowded", "agricultural_machinery": "rural",
    "water_conservancy": "rural", "fishing_vessel": "rural", "electric_power": "power",
    "ammonia_refrigeration": "ammonia", "combustible_dust": "dust", "confined_space": "confined",
}  # fmt: skip
SPOT_OF_GROUP = {
    "crowded": "crowded",
    "mine": "outdoor",
    "construction": "outdoor",
    "rural": "outdoor",
    "transport": "transport",
    "gas": "gas",
    "power": "power",
}


class MajorItem(NamedTuple):
    """An item of a 重大事故隐患判定标准, paraphrased: enough to show which item a hazard matched."""

    standard: MajorStandard
    clause: str
    finding: str
    category: Category
    factor: Factor


_IT, _CHEM, _COAL, _NONCOAL = (
    MajorStandard.INDUSTRY_TRADE,
    MajorStandard.CHEMICAL,
    MajorStandard.COAL_MINE,
    MajorStandard.NON_COAL_MINE,
)
_FIREWORKS, _BUILD, _FIRE, _OTHER = (
    MajorStandard.FIREWORKS,
    MajorStandard.CONSTRUCTION,
    MajorStandard.FIRE,
    MajorStandard.OTHER,
)

# Major hazards by sector group; a mine's items are those of its own standard (coal or non-coal).
# fmt: off
MAJOR_ITEMS: dict[str, tuple[MajorItem, ...]] = {
    "mine": (
        MajorItem(_COAL, "第三条第（一）项", "超能力、超强度或者超定员组织生产", _B, _MGMT),
        MajorItem(_COAL, "第三条第（四）项", "通风系统不完善、不可靠", _S, _OBJECT),
        MajorItem(_NONCOAL, "露天矿山第（六）项", "边坡存在滑移现象", _S, _ENV),
        MajorItem(_NONCOAL, "地下矿山第（三）项", "安全出口不符合要求", _S, _OBJECT),
    ),
    "chemical": (
        MajorItem(_CHEM, "第（二）项", "特种作业人员未持证上岗", _B, _HUMAN),
        MajorItem(_CHEM, "第（五）项", "构成重大危险源的危险化学品罐区未实现紧急切断功能", _S, _OBJECT),
        MajorItem(_CHEM, "第（十）项", "在役化工装置未经正规设计且未进行安全设计诊断", _B, _MGMT),
    ),
    "fireworks": (
        MajorItem(_FIREWORKS, "第（九）项", "仓库超过核定药量储存", _S, _MGMT),
        MajorItem(_FIREWORKS, "第（十二）项", "防雷设施未经检测或者检测不合格", _S, _OBJECT),
    ),
    "industry": (
        MajorItem(_IT, "第三条第（一）项", "未对承包单位、承租单位的安全生产工作统一协调、管理", _B, _MGMT),
        MajorItem(_IT, "第三条第（二）项", "特种作业人员未按规定取得相应资格上岗作业", _B, _HUMAN),
        MajorItem(_IT, "第五条第（三）项", "会议室、休息室等设置在熔融金属吊运跨的地坪区域内", _S, _ENV),
    ),
    "dust": (
        MajorItem(_IT, "第十一条第（一）项", "粉尘爆炸危险场所内设有员工休息室等人员聚集场所", _S, _ENV),
        MajorItem(_IT, "第十一条第（四）项", "除尘系统未采取防止粉尘爆炸的泄爆、隔爆措施", _S, _OBJECT),
    ),
    "ammonia": (
        MajorItem(_IT, "第十二条第（一）项", "包装、分割场所的空调系统采用氨直接蒸发制冷", _S, _OBJECT),
        MajorItem(_IT, "第十二条第（二）项", "快速冻结装置未设置在单独的作业间内", _S, _OBJECT),
    ),
    "confined": (
        MajorItem(_IT, "第十三条第（一）项", "未对有限空间作业场所进行辨识并设置明显安全警示标志", _B, _MGMT),
        MajorItem(_IT, "第十三条第（二）项", "有限空间作业未执行“先通风、再检测、后作业”要求", _B, _MGMT),
    ),
    "construction": (
        MajorItem(_BUILD, "第八条第（一）项", "深基坑施工未对毗邻重要建筑物采取专项防护措施", _S, _ENV),
        MajorItem(_BUILD, "第十一条第（一）项", "塔式起重机未经验收合格即投入使用", _B, _MGMT),
    ),
    "crowded": (
        MajorItem(_FIRE, "第5.3条", "人员密集场所违规使用、储存易燃易爆危险品", _S, _MGMT),
        MajorItem(_FIRE, "第6.2.9条", "未按规定设置自动喷水灭火系统或者系统不能正常运行", _S, _OBJECT),
    ),
    "other": (
        MajorItem(_OTHER, "第三条第（一）项", "关键安全设施失效且未采取有效管控措施", _S, _OBJECT),
        MajorItem(_OTHER, "第四条第（二）项", "超许可范围、超能力组织生产经营", _B, _MGMT),
    ),
}
# fmt: on
MAJOR_ITEM_GROUPS = {
    "mine",
    "chemical",
    "fireworks",
    "industry",
    "dust",
    "ammonia",
    "confined",
    "construction",
    "crowded",
}
MAJOR_MEASURES = "按照治理方案落实“五到位”，完成整改后组织专家现场复核。"

REQUIREMENTS = (
    "立即落实整改，整改完成后上传整改前后对比照片并申请验收。",
    "整改期间落实临时管控措施，按期完成整改并报送整改报告。",
    "按照相关标准规范整改到位，举一反三排查同类问题。",
)
PLAN_RESPONSIBILITY = "企业主要负责人为治理第一责任人，分管负责人具体落实，安全管理部门全程跟踪。"
PLAN_CONTINGENCY = "制定专项应急处置方案，配备应急物资，整改期间安排专人现场监护。"
VERIFY_OPINIONS = (
    "现场核查，整改措施已落实，同意销号。",
    "经查阅整改资料和照片，整改到位，同意销号。",
    "复查合格，予以销号。",
)
REJECT_REASONS = (
    "整改不彻底，现场仍存在问题，请继续整改。",
    "整改后照片不清晰，整改资料不完整，请补充后重新提交。",
    "整改措施与整改要求不符，退回重新整改。",
)
VOID_REASONS = (
    "重复登记，与已登记的隐患为同一问题。",
    "录入错误，区划和责任单位填写有误，已重新登记。",
    "经复核不属于安全生产隐患。",
)
EXTENSION_REASONS = (
    "所需设备配件需厂家定制，到货周期较长。",
    "整改涉及停产检修，需与生产计划统筹安排。",
    "整改资金正在审批中，需延长整改期限。",
    "受雨雪天气影响，室外作业无法按期完成。",
)
APPROVE_COMMENTS = ("同意延期，延期期间落实临时管控措施。", "同意延期，请按新期限完成整改。")
DENY_COMMENTS = ("延期理由不充分，应按原期限完成整改。", "临时管控措施不足以保障安全，不同意延期。")
SUPERVISION_REQUIREMENTS = "落实整改责任、措施、资金、时限和预案“五到位”，每周报送整改进展，整改完成后申请销号。"
