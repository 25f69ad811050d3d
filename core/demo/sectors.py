"""The sectors the demo's national catalog is grouped by.

A demo agency (from a jurisdiction plugin's ``DemoDataset``) names the sectors
it covers; ``qingdan demo`` gives it an item for each catalog entry of those
sectors whose levels include the agency's level.
"""

SECTORS: dict[str, str] = {
    "market": "市场监管",
    "health": "卫生健康",
    "transport": "交通运输",
    "housing": "住房和城乡建设",
    "natural_resources": "自然资源",
    "ecology": "生态环境",
    "education": "教育",
    "civil_affairs": "民政",
    "human_resources": "人力资源和社会保障",
    "public_security": "公安",
    "culture_tourism": "文化和旅游",
    "agriculture": "农业农村",
    "water": "水利",
    "emergency": "应急管理",
    "commerce": "商务",
    "medical_security": "医疗保障",
    "forestry": "林业和草原",
    "justice": "司法行政",
    "veterans": "退役军人事务",
    "development_reform": "发展和改革",
}
