//! A deterministic generator of large Gazette sites, for benchmarks (issue 6).
//!
//! ```sh
//! cargo run --release --example gen_corpus -- --entries 4016 --releases 8 --out /tmp/corpus [--seed 1] [--jobs 4] [--from SITE] [--demands N] [--covers N]
//! ```
//!
//! With `--demands N` (and a site.toml declaring `[collections.demands]`, as this repository's
//! does) it also writes N enterprise demands in `content/demands/`, each about a topic of the
//! results but worded as a company would, for the matching benchmark (issue 20).
//!
//! It writes a complete site into `--out` (which must not exist or be empty): `site.toml` and
//! `themes/` copied from this repository (or from the site folder given with `--from`),
//! `content/pages/about.md` (+ `about.en.md`), and for each release
//! `_release.toml`, `_release.md`, `_release.en.toml` and `_release.en.md`. Entries are spread
//! over the releases; each is a Markdown file with every schema field filled, a body of 400–800
//! words (Chinese characters count as words) mixing Chinese and English paragraphs with
//! headings, a bullet list, a table, an `@/` link to an earlier public entry and an image whose
//! small SVG is written beside the entry. About 30% get an English translation, about 1% are
//! drafts and 1% embargoed until 2099 (nothing ever links to those).
//!
//! 104 institutions are made from Zhejiang place names and institution kinds (大学, 理工大学,
//! 研究院, 中试基地, 实验室, 中国科学院…研究所); who leads an entry follows a Zipf law (the top
//! institution leads ~19% of the entries, most lead a handful). Fields, stages and transfer modes
//! are weighted too. Enum keys are checked against site.toml at start-up. Titles are unique in
//! the whole site and never differ by one qualifier alone, so `gazette check` reports no
//! similar titles; only the drafts and embargoed entries show up as (expected) warnings.
//!
//! With `--covers N`, the first N entries (all with N ≥ `--entries`) get a 2,400 × 1,600 JPEG
//! cover (`<slug>/cover.jpg`, quality 85) drawn from the entry's index by
//! `shared/picture.rs` (sky, hills, sun, a building, fine grain: every cover differs) instead
//! of the SVG one, for the image benchmarks; the rest of the corpus is unchanged.
//!
//! The output depends only on the arguments (and on the copied site.toml and themes/): every
//! entry is generated from its own PRNG stream, so `--jobs` changes the speed only.

#[path = "shared/picture.rs"]
mod picture;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

// ---------------------------------------------------------------------------------------------
// PRNG: splitmix64.
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut r = Rng(seed ^ 0x6A09_E667_F3BC_C908);
        r.next_u64();
        r
    }

    /// An independent stream for item `index` of kind `stream`.
    fn stream(seed: u64, stream: u64, index: u64) -> Rng {
        let mut a = Rng(seed.wrapping_add(stream.wrapping_mul(0xD1B5_4A32_D192_ED03)));
        let k = a.next_u64() ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Rng::new(k)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n < 2^32).
    fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below((hi - lo + 1) as usize) as u64
    }

    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// Index drawn from cumulative weights.
    fn weighted(&mut self, cumulative: &[f64]) -> usize {
        let x = self.f64() * cumulative[cumulative.len() - 1];
        cumulative
            .partition_point(|&c| c <= x)
            .min(cumulative.len() - 1)
    }

    fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }

    /// `k` distinct indices below `n`, in draw order.
    fn distinct(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::with_capacity(k);
        while out.len() < k.min(n) {
            let i = self.below(n);
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out
    }
}

fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .into_iter()
        .map(|w| {
            acc += w;
            acc
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Vocabulary. Enum keys are checked against site.toml at start-up.
// ---------------------------------------------------------------------------------------------

/// (zh, en, telephone area code, region).
const CITIES: &[(&str, &str, &str, &str)] = &[
    ("浙江", "Zhejiang", "0571", "杭州市"),
    ("杭州", "Hangzhou", "0571", "杭州市"),
    ("宁波", "Ningbo", "0574", "宁波市"),
    ("温州", "Wenzhou", "0577", "温州市"),
    ("嘉兴", "Jiaxing", "0573", "嘉兴市"),
    ("湖州", "Huzhou", "0572", "湖州市"),
    ("绍兴", "Shaoxing", "0575", "绍兴市"),
    ("金华", "Jinhua", "0579", "金华市"),
    ("衢州", "Quzhou", "0570", "衢州市"),
    ("舟山", "Zhoushan", "0580", "舟山市"),
    ("台州", "Taizhou", "0576", "台州市"),
    ("丽水", "Lishui", "0578", "丽水市"),
];

/// University kinds: (zh suffix, en pattern with {C} for the city).
const UNI_KINDS: &[(&str, &str)] = &[
    ("大学", "{C} University"),
    ("理工大学", "{C} Sci-Tech University"),
    ("工业大学", "{C} University of Technology"),
    ("科技大学", "{C} University of Science and Technology"),
    ("师范大学", "{C} Normal University"),
    ("农林大学", "{C} Agriculture and Forestry University"),
    ("海洋大学", "{C} Ocean University"),
    ("医科大学", "{C} Medical University"),
    (
        "电子科技大学",
        "{C} University of Electronic Science and Technology",
    ),
    ("职业技术学院", "{C} Polytechnic"),
    ("工程学院", "{C} Institute of Technology"),
    ("学院", "{C} College"),
];

const DISCIPLINES: &[(&str, &str)] = &[
    ("新材料", "Advanced Materials"),
    ("精细化工", "Fine Chemicals"),
    ("智能制造", "Intelligent Manufacturing"),
    ("生物医药", "Biomedicine"),
    ("海洋科学", "Marine Science"),
    ("农业科学", "Agricultural Sciences"),
    ("工业技术", "Industrial Technology"),
    ("新能源", "New Energy"),
    ("电子信息", "Electronic Information"),
    ("绿色化工", "Green Chemical Engineering"),
];

/// Institute kinds: (zh pattern, en pattern) with {C} city and {D} discipline.
const INST_KINDS: &[(&str, &str)] = &[
    ("{C}{D}研究院", "{C} Research Institute of {D}"),
    ("{C}{D}中试基地", "{C} {D} Pilot Base"),
    ("{C}{D}实验室", "{C} Laboratory of {D}"),
    ("中国科学院{C}{D}研究所", "{C} Institute of {D}, CAS"),
];

const DEPARTMENTS: &[&str] = &[
    "科技成果转化中心",
    "科学技术处",
    "技术转移中心",
    "成果转化部",
    "产学研合作处",
    "科研院",
];

const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("高", "gao"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("潘", "pan"),
    ("袁", "yuan"),
    ("蒋", "jiang"),
    ("蔡", "cai"),
    ("余", "yu"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("魏", "wei"),
    ("沈", "shen"),
    ("陆", "lu"),
    ("钱", "qian"),
    ("邵", "shao"),
    ("应", "ying"),
];

const GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("辉", "hui"),
    ("玲", "ling"),
    ("建", "jian"),
    ("国", "guo"),
    ("文", "wen"),
    ("华", "hua"),
    ("晓", "xiao"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("琳", "lin"),
    ("欣", "xin"),
    ("嘉", "jia"),
    ("俊", "jun"),
    ("志", "zhi"),
    ("海", "hai"),
    ("鹏", "peng"),
    ("宁", "ning"),
    ("立", "li"),
    ("新", "xin"),
    ("博", "bo"),
    ("思", "si"),
    ("远", "yuan"),
    ("睿", "rui"),
    ("晨", "chen"),
    ("岚", "lan"),
    ("一", "yi"),
    ("鸣", "ming"),
];

/// Technology fields: (key, zh, en, weight, [(zh application, en application)]).
struct Field {
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    weight: f64,
    apps: &'static [(&'static str, &'static str)],
}

const FIELDS: &[Field] = &[
    Field {
        key: "new-materials",
        zh: "新材料",
        en: "new materials",
        weight: 20.0,
        apps: &[
            ("新能源汽车", "electric vehicles"),
            ("航空航天", "aerospace"),
            ("建筑节能", "energy-efficient buildings"),
            ("电子封装", "electronic packaging"),
        ],
    },
    Field {
        key: "fine-chemicals",
        zh: "精细化工",
        en: "fine chemicals",
        weight: 22.0,
        apps: &[
            ("医药中间体", "pharmaceutical intermediates"),
            ("涂料与胶黏剂", "coatings and adhesives"),
            ("高分子材料", "polymer materials"),
            ("日用化学品", "household chemicals"),
        ],
    },
    Field {
        key: "intelligent-manufacturing",
        zh: "智能制造",
        en: "intelligent manufacturing",
        weight: 20.0,
        apps: &[
            ("汽车零部件", "automotive parts"),
            ("工程机械", "construction machinery"),
            ("电子装配", "electronics assembly"),
            ("五金卫浴", "hardware and sanitary ware"),
        ],
    },
    Field {
        key: "new-energy",
        zh: "新能源",
        en: "new energy",
        weight: 10.0,
        apps: &[
            ("储能电站", "energy storage stations"),
            ("光伏发电", "photovoltaic power"),
            ("氢能交通", "hydrogen transport"),
            ("动力电池", "traction batteries"),
        ],
    },
    Field {
        key: "biomedicine",
        zh: "生物医药",
        en: "biomedicine",
        weight: 9.0,
        apps: &[
            ("创新药研发", "drug discovery"),
            ("体外诊断", "in-vitro diagnostics"),
            ("医疗器械", "medical devices"),
            ("生物制造", "biomanufacturing"),
        ],
    },
    Field {
        key: "electronic-information",
        zh: "电子信息",
        en: "electronic information",
        weight: 9.0,
        apps: &[
            ("工业互联网", "the industrial internet"),
            ("智能网联汽车", "connected vehicles"),
            ("数据中心", "data centres"),
            ("消费电子", "consumer electronics"),
        ],
    },
    Field {
        key: "marine",
        zh: "海洋",
        en: "marine technology",
        weight: 4.0,
        apps: &[
            ("远洋船舶", "ocean-going ships"),
            ("海上风电", "offshore wind"),
            ("海水养殖", "mariculture"),
            ("港口工程", "port engineering"),
        ],
    },
    Field {
        key: "agriculture",
        zh: "现代农业",
        en: "agriculture",
        weight: 6.0,
        apps: &[
            ("粮食生产", "grain production"),
            ("茶叶种植", "tea growing"),
            ("设施农业", "protected agriculture"),
            ("畜禽养殖", "livestock farming"),
        ],
    },
];

/// A topic: (field index, cluster key, slug stem, zh object, en object, [(zh kw, en kw)]).
type Topic = (
    usize,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

#[rustfmt::skip]
const TOPICS: &[Topic] = &[
    (0, "advanced-materials", "aerogel", "二氧化硅气凝胶毡", "silica aerogel blankets", &[("气凝胶", "aerogel"), ("隔热", "thermal insulation")]),
    (0, "advanced-materials", "carbon-fibre", "高性能碳纤维", "high-performance carbon fibre", &[("碳纤维", "carbon fibre"), ("原丝", "precursor")]),
    (0, "advanced-materials", "graphene-film", "石墨烯导热膜", "graphene thermal films", &[("石墨烯", "graphene"), ("导热", "heat spreading")]),
    (0, "advanced-materials", "hea-coating", "高熵陶瓷涂层", "high-entropy ceramic coatings", &[("高熵陶瓷", "high-entropy ceramics"), ("热障涂层", "thermal barrier coating")]),
    (0, "advanced-materials", "ndfeb", "钕铁硼永磁体", "NdFeB permanent magnets", &[("稀土永磁", "rare-earth magnets"), ("矫顽力", "coercivity")]),
    (0, "advanced-materials", "cpi-film", "透明聚酰亚胺薄膜", "transparent polyimide films", &[("聚酰亚胺", "polyimide"), ("柔性显示", "flexible displays")]),
    (1, "green-petrochemicals", "mma", "甲基丙烯酸甲酯", "methyl methacrylate", &[("MMA", "MMA"), ("氧化酯化", "oxidative esterification")]),
    (1, "green-petrochemicals", "pbat", "PBAT聚合催化剂", "PBAT polymerisation catalysts", &[("PBAT", "PBAT"), ("可降解塑料", "biodegradable plastics")]),
    (1, "life-health", "chiral", "手性医药中间体", "chiral pharmaceutical intermediates", &[("手性合成", "chiral synthesis"), ("连续流", "continuous flow")]),
    (1, "green-petrochemicals", "flame-retardant", "无卤阻燃剂", "halogen-free flame retardants", &[("阻燃", "flame retardancy"), ("无卤", "halogen-free")]),
    (1, "advanced-materials", "bio-epoxy", "生物基环氧树脂", "bio-based epoxy resins", &[("环氧树脂", "epoxy resin"), ("生物基", "bio-based")]),
    (1, "green-petrochemicals", "surfactant", "绿色表面活性剂", "green surfactants", &[("表面活性剂", "surfactants"), ("清洁生产", "cleaner production")]),
    (1, "green-petrochemicals", "nitration", "微通道连续硝化工艺", "microchannel continuous nitration", &[("硝化", "nitration"), ("本质安全", "inherent safety")]),
    (2, "high-end-equipment", "weld-vision", "焊缝视觉跟踪系统", "weld seam vision tracking", &[("焊接机器人", "welding robots"), ("结构光", "structured light")]),
    (2, "high-end-equipment", "cobot-grinding", "协作机器人打磨工作站", "collaborative robot grinding cells", &[("协作机器人", "collaborative robots"), ("力控", "force control")]),
    (2, "digital-economy", "digital-twin", "齿轮箱数字孪生", "gearbox digital twins", &[("数字孪生", "digital twin"), ("故障诊断", "fault diagnosis")]),
    (2, "high-end-equipment", "five-axis", "五轴数控机床", "five-axis CNC machine tools", &[("数控机床", "CNC machine tools"), ("精密加工", "precision machining")]),
    (2, "high-end-equipment", "agv", "重载自动导引车", "heavy-duty automated guided vehicles", &[("AGV", "AGV"), ("智能物流", "smart logistics")]),
    (2, "high-end-equipment", "bearing", "高速精密轴承", "high-speed precision bearings", &[("轴承", "bearings"), ("主轴", "spindles")]),
    (3, "advanced-materials", "sulfide-electrolyte", "硫化物固态电解质", "sulfide solid electrolytes", &[("固态电池", "solid-state batteries"), ("电解质", "electrolyte")]),
    (3, "advanced-materials", "perovskite", "钙钛矿叠层电池", "perovskite tandem solar cells", &[("钙钛矿", "perovskite"), ("光伏", "photovoltaics")]),
    (3, "high-end-equipment", "seawater-h2", "海水直接电解制氢装置", "direct seawater electrolysers", &[("电解水", "water electrolysis"), ("绿氢", "green hydrogen")]),
    (3, "advanced-materials", "sodium-cathode", "钠离子电池正极材料", "sodium-ion battery cathodes", &[("钠离子电池", "sodium-ion batteries"), ("正极材料", "cathode materials")]),
    (3, "green-petrochemicals", "blade-recycling", "风电叶片回收", "wind turbine blade recycling", &[("风电叶片", "wind turbine blades"), ("复合材料回收", "composite recycling")]),
    (3, "high-end-equipment", "flow-battery", "全钒液流电池", "vanadium flow batteries", &[("液流电池", "flow batteries"), ("长时储能", "long-duration storage")]),
    (4, "life-health", "lnp", "mRNA脂质纳米递送系统", "lipid nanoparticles for mRNA", &[("mRNA", "mRNA"), ("递送系统", "delivery systems")]),
    (4, "life-health", "bispecific", "双特异性抗体", "bispecific antibodies", &[("抗体药物", "antibody drugs"), ("肿瘤免疫", "immuno-oncology")]),
    (4, "life-health", "microfluidic", "微流控诊断芯片", "microfluidic diagnostic chips", &[("微流控", "microfluidics"), ("即时检测", "point-of-care testing")]),
    (4, "life-health", "mg-screw", "可降解镁合金骨钉", "biodegradable magnesium bone screws", &[("可降解金属", "biodegradable metals"), ("骨科植入物", "orthopaedic implants")]),
    (4, "life-health", "enzyme", "工业酶制剂", "industrial enzymes", &[("酶催化", "biocatalysis"), ("定向进化", "directed evolution")]),
    (4, "life-health", "pentanediamine", "生物基戊二胺", "bio-based pentanediamine", &[("尼龙56", "nylon 56"), ("发酵", "fermentation")]),
    (5, "high-end-equipment", "sic-module", "碳化硅功率模块", "silicon carbide power modules", &[("碳化硅", "silicon carbide"), ("功率器件", "power devices")]),
    (5, "digital-economy", "mems", "MEMS压力传感器", "MEMS pressure sensors", &[("MEMS", "MEMS"), ("传感器", "sensors")]),
    (5, "digital-economy", "edge-ai", "边缘人工智能推理芯片", "edge AI inference chips", &[("人工智能芯片", "AI chips"), ("边缘计算", "edge computing")]),
    (5, "digital-economy", "iiot-gateway", "工业物联网网关", "industrial IoT gateways", &[("工业互联网", "industrial internet"), ("边缘网关", "edge gateways")]),
    (5, "digital-economy", "lidar", "固态激光雷达", "solid-state lidar", &[("激光雷达", "lidar"), ("自动驾驶", "autonomous driving")]),
    (5, "digital-economy", "silicon-photonics", "硅光收发模块", "silicon photonic transceivers", &[("硅光", "silicon photonics"), ("光通信", "optical communication")]),
    (6, "advanced-materials", "antifouling", "海洋防污涂料", "marine antifouling coatings", &[("防污涂料", "antifouling coatings"), ("船舶", "shipping")]),
    (6, "modern-agriculture", "offshore-cage", "深远海养殖网箱", "offshore aquaculture cages", &[("深远海养殖", "offshore aquaculture"), ("网箱", "net cages")]),
    (6, "advanced-materials", "ro-membrane", "海水淡化反渗透膜", "seawater reverse osmosis membranes", &[("海水淡化", "desalination"), ("反渗透", "reverse osmosis")]),
    (6, "high-end-equipment", "uuv", "水下无人航行器", "unmanned underwater vehicles", &[("水下机器人", "underwater robots"), ("海洋观测", "ocean observation")]),
    (6, "life-health", "seaweed", "海藻多糖", "seaweed polysaccharides", &[("海藻", "seaweed"), ("功能食品", "functional foods")]),
    (7, "modern-agriculture", "saline-rice", "耐盐水稻", "salt-tolerant rice", &[("耐盐碱", "salt tolerance"), ("水稻育种", "rice breeding")]),
    (7, "modern-agriculture", "tea-pest", "茶园病虫害监测", "tea garden pest monitoring", &[("茶园", "tea gardens"), ("病虫害", "pests and diseases")]),
    (7, "modern-agriculture", "biofertiliser", "微生物菌肥", "microbial fertilisers", &[("菌肥", "biofertilisers"), ("土壤改良", "soil improvement")]),
    (7, "modern-agriculture", "greenhouse", "智能温室", "smart greenhouses", &[("设施农业", "protected cultivation"), ("环境调控", "climate control")]),
    (7, "modern-agriculture", "fruit-grading", "水果无损分选", "non-destructive fruit grading", &[("无损检测", "non-destructive testing"), ("分选", "grading")]),
    (7, "modern-agriculture", "feed-additive", "绿色饲料添加剂", "green feed additives", &[("饲料", "animal feed"), ("减抗", "antibiotic reduction")]),
];

const QUALS: &[(&str, &str)] = &[
    ("高效", "high-efficiency"),
    ("低成本", "low-cost"),
    ("连续化", "continuous"),
    ("绿色", "green"),
    ("智能", "smart"),
    ("高性能", "high-performance"),
    ("长寿命", "long-life"),
    ("模块化", "modular"),
    ("国产化", "domestically made"),
    ("规模化", "large-scale"),
    ("高可靠", "high-reliability"),
    ("低能耗", "low-energy"),
    ("新一代", "next-generation"),
    ("精密", "precision"),
    ("轻量化", "lightweight"),
    ("高纯", "high-purity"),
];

/// Methods named in titles: (zh, en).
const METHODS: &[(&str, &str)] = &[
    ("机器视觉", "machine vision"),
    ("微通道反应", "microchannel reactors"),
    ("深度学习", "deep learning"),
    ("分子筛催化", "zeolite catalysis"),
    ("酶催化", "enzymatic catalysis"),
    ("增材制造", "additive manufacturing"),
    ("低温等离子体", "cold plasma"),
    ("超临界流体", "supercritical fluids"),
    ("纳米复合", "nanocomposites"),
    ("多物理场仿真", "multiphysics simulation"),
    ("物联网", "the internet of things"),
    ("膜分离", "membrane separation"),
    ("高通量筛选", "high-throughput screening"),
    ("过程强化", "process intensification"),
];

/// (zh, en, slug).
const PROCS: &[(&str, &str, &str)] = &[
    ("制备技术", "preparation technology for", "preparation"),
    ("中试成套技术", "pilot-scale process package for", "pilot"),
    ("关键装备", "key equipment for", "equipment"),
    ("在线监测系统", "online monitoring system for", "monitoring"),
    ("催化剂及工艺", "catalyst and process for", "catalyst"),
    (
        "回收利用技术",
        "recovery and reuse technology for",
        "recycling",
    ),
    ("检测方法", "test method for", "testing"),
    (
        "产业化技术",
        "industrialisation technology for",
        "industrial",
    ),
    ("控制系统", "control system for", "control"),
    ("改性技术", "modification technology for", "modification"),
    ("设计与集成", "design and integration of", "integration"),
    ("工艺优化", "process optimisation for", "optimisation"),
];

/// Stage keys with weights and the TRL range they map to.
const STAGES: &[(&str, f64, u64, u64)] = &[
    ("research", 12.0, 1, 3),
    ("sample", 13.0, 4, 4),
    ("bench", 25.0, 5, 5),
    ("pilot", 32.0, 6, 7),
    ("production", 18.0, 8, 9),
];

const MODES: &[(&str, f64)] = &[
    ("transfer", 25.0),
    ("licence", 30.0),
    ("equity", 10.0),
    ("joint-development", 35.0),
    ("commissioned-development", 15.0),
    ("consulting", 12.0),
];

const CLUSTERS: &[&str] = &[
    "green-petrochemicals",
    "high-end-equipment",
    "advanced-materials",
    "digital-economy",
    "life-health",
    "modern-agriculture",
];

const IP_TYPES: &[&str] = &["invention", "utility", "design", "software"];
const IP_STATUSES: &[&str] = &["pending", "granted", "lapsed"];

/// Table rows: (zh, en, prefix, unit, low, high, higher is better).
const METRICS: &[(&str, &str, &str, &str, u64, u64, bool)] = &[
    (
        "连续运行时间",
        "Continuous operation",
        "",
        " h",
        500,
        8000,
        true,
    ),
    (
        "单位能耗降低",
        "Energy saving per unit",
        "",
        "%",
        10,
        45,
        true,
    ),
    (
        "产品合格率",
        "Yield of good products",
        "≥ ",
        "%",
        90,
        99,
        true,
    ),
    (
        "关键性能提升",
        "Gain in key performance",
        "",
        "%",
        15,
        80,
        true,
    ),
    ("设备寿命", "Service life", "> ", " h", 2000, 20000, true),
    (
        "综合成本降低",
        "Overall cost reduction",
        "",
        "%",
        10,
        50,
        true,
    ),
    (
        "定位精度",
        "Positioning accuracy",
        "± ",
        " μm",
        1,
        50,
        false,
    ),
    ("处理能力", "Throughput", "", " t/d", 5, 500, true),
    ("响应时间", "Response time", "< ", " ms", 5, 200, false),
    ("检测准确率", "Detection accuracy", "≥ ", "%", 90, 99, true),
    ("收率", "Yield", "≥ ", "%", 80, 98, true),
    ("废水排放减少", "Less waste water", "", "%", 20, 70, true),
];

const ZH_OVERVIEW: &[&str] = &[
    "{obj}是{app}等行业的关键产品和核心环节，长期以来国内相关产品主要依赖进口，成本高、交货周期长。",
    "现有工艺普遍存在能耗高、收率低、三废排放量大等问题，制约了产业的绿色化和规模化发展。",
    "本成果由{inst}牵头完成，围绕{obj}的{proc}开展了系统研究。",
    "项目团队在实验室小试基础上，完成了{n3}小时连续运行验证，主要指标达到国际同类产品水平。",
    "通过分子设计与过程强化相结合，关键步骤收率提高{n1}%，单位产品能耗降低约{n1}%。",
    "成果已申请发明专利{n2}项，形成了从原料、工艺到装备的完整技术体系。",
    "与传统方法相比，该技术流程更短、操作更安全，且无需对现有生产线进行大规模改造。",
    "目前已在{n2}家企业开展应用示范，产品性能稳定，用户反馈良好。",
    "团队建立了覆盖原料检测、过程控制和成品评价的质量体系，批次间一致性显著提高。",
    "该技术可与企业现有装置衔接，投资回收期预计为{n2}年左右。",
    "在{app}领域，{obj}的市场需求保持年均{n1}%以上的增长。",
    "项目实施过程中，团队与下游用户密切合作，根据实际工况不断迭代优化工艺参数。",
    "核心装备实现国产化，关键部件寿命超过{n3}小时。",
    "经第三方检测机构测试，各项指标均满足或优于相关国家标准和行业标准要求。",
    "后续将重点开展工程放大和应用验证，推动成果尽快实现产业化。",
    "项目先后获得省重点研发计划和国家自然科学基金等{n2}项课题支持。",
];

const EN_SENTENCES: &[&str] = &[
    "Demand for {obj_en} in {app_en} has grown steadily, while most supply still depends on imports with long lead times.",
    "The team at {inst_en} developed this {qual_en} {proc_en} {obj_en} to shorten the process route and improve safety.",
    "Compared with conventional methods, the yield of the key step rises by about {n1}% and energy use per unit of product falls by about {n1}%.",
    "A pilot line has run continuously for {n3} hours, and the main indicators match those of leading international products.",
    "The technology fits existing plants, so companies can adopt it without rebuilding their production lines.",
    "It is protected by {n2} invention patents covering materials, process and equipment.",
    "Third-party testing confirms that the product meets or exceeds the relevant national and industry standards.",
    "Field trials with {n2} companies show stable performance and good feedback from users.",
    "The payback period is estimated at about {n2} years for a typical installation.",
    "The team is looking for partners to carry out engineering scale-up and application validation.",
    "Process control and quality checks cover raw materials, intermediate steps and the final product, improving batch-to-batch consistency.",
    "Key components are made domestically and have a service life of more than {n3} hours.",
    "The approach combines molecular design with process intensification, which keeps by-products and waste to a minimum.",
    "Market demand for {obj_en} in {app_en} is growing by more than {n1}% a year.",
    "Operating costs fall by roughly {n1}% because fewer steps need manual supervision.",
    "The work was funded by {n2} provincial and national research programmes.",
];

const ZH_BULLETS: &[&str] = &[
    "提出{obj}新型结构设计，关键性能提升{n1}%以上；",
    "开发连续化反应与分离耦合工艺，停留时间缩短至{n2}分钟；",
    "自主研制核心装备，实现关键部件国产化替代；",
    "建立全流程在线监测与智能控制模型，产品合格率达到9{n2}%；",
    "采用绿色溶剂体系，三废排放减少{n1}%；",
    "形成专利池和技术标准，具备完整自主知识产权；",
    "模块化设计，可根据用户产能需求灵活组合；",
    "关键原料全部国产，供应链安全可控；",
];

const EN_BULLETS: &[&str] = &[
    "A new design for {obj_en} that improves key performance by more than {n1}%;",
    "Reaction and separation coupled in one continuous process, cutting residence time to {n2} minutes;",
    "Core equipment designed in-house, replacing imported key components;",
    "Online monitoring and model-based control across the whole process, with a first-pass yield of 9{n2}%;",
    "A green solvent system that cuts waste by {n1}%;",
    "A portfolio of patents and standards giving full ownership of the technology;",
    "A modular design that scales with the user's capacity;",
    "All key raw materials sourced domestically for a secure supply chain;",
];

const ZH_COOPERATION: &[&str] = &[
    "寻求有一定产业基础的企业开展技术许可或合作开发，共同推进工程化和市场推广。",
    "欢迎下游用户提供应用场景，团队可根据需求开展定制化开发。",
    "可提供工艺包、关键设备选型和人员培训等全流程技术服务。",
    "拟以技术作价入股方式与企业共建产业化平台。",
];

// ---------------------------------------------------------------------------------------------
// Institutions.
// ---------------------------------------------------------------------------------------------

struct Inst {
    zh: String,
    en: String,
    city: usize,
    code: String,
}

fn code_of(en: &str, rank: usize) -> String {
    let mut s: String = en
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "of" | "and"))
        .map(|w| w.chars().next().unwrap().to_ascii_lowercase())
        .collect();
    write!(s, "{rank}").unwrap();
    s
}

/// 104 institutions, ordered by size rank (the first gets the most entries).
fn institutions(seed: u64) -> Vec<Inst> {
    let mut rng = Rng::stream(seed, 1, 0);
    let mut unis = Vec::new();
    for (ci, c) in CITIES.iter().enumerate() {
        for k in UNI_KINDS {
            unis.push((format!("{}{}", c.0, k.0), k.1.replace("{C}", c.1), ci));
        }
    }
    let mut insts = Vec::new();
    for (ci, c) in CITIES.iter().enumerate() {
        for d in DISCIPLINES {
            for k in INST_KINDS {
                insts.push((
                    k.0.replace("{C}", c.0).replace("{D}", d.0),
                    k.1.replace("{C}", c.1).replace("{D}", d.1),
                    ci,
                ));
            }
        }
    }
    rng.shuffle(&mut unis);
    rng.shuffle(&mut insts);
    // The two biggest contributors are fixed, as in the sample data.
    let first = ["浙江大学", "宁波精细化工中试基地"];
    let mut chosen = Vec::new();
    for name in first {
        let pool = if name.ends_with("大学") {
            &mut unis
        } else {
            &mut insts
        };
        let i = pool.iter().position(|u| u.0 == name).unwrap();
        chosen.push(pool.remove(i));
    }
    chosen.extend(unis.drain(..43));
    chosen.extend(insts.drain(..59));
    // Size order: the two fixed ones, then a shuffle of the rest.
    rng.shuffle(&mut chosen[2..]);
    let mut seen = HashSet::new();
    chosen
        .into_iter()
        .enumerate()
        .map(|(rank, (zh, en, city))| {
            assert!(seen.insert(zh.clone()) && seen.insert(en.clone()));
            let code = code_of(&en, rank);
            Inst { zh, en, city, code }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Dates (proleptic Gregorian, days since 1970-01-01).
// ---------------------------------------------------------------------------------------------

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn fmt_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

// ---------------------------------------------------------------------------------------------
// The corpus plan (pass 1, sequential and cheap).
// ---------------------------------------------------------------------------------------------

const PUBLIC: u8 = 0;
const DRAFT: u8 = 1;
const EMBARGOED: u8 = 2;
const NO_LINK: u32 = u32::MAX;

struct Release {
    id: String,
    year: i64,
    number: usize,
    date: i64,
    /// Entry index range.
    start: usize,
    end: usize,
    public: usize,
    field_counts: [usize; 8],
}

#[derive(Clone, Copy)]
struct Meta {
    release: u32,
    /// 1-based position in its release, part of the slug.
    seq: u32,
    topic: u8,
    qual: u8,
    proc_: u8,
    /// 0: none, else 1 + city * 4 + application ("面向宁波汽车零部件领域的…").
    scene: u8,
    /// 0: none, else 1 + index into METHODS ("基于机器视觉的…").
    method: u8,
    /// Disambiguates a title that would repeat in the site (0: none; rarely needed).
    generation: u8,
    status: u8,
    translated: bool,
    /// An earlier public entry this one links to.
    link: u32,
}

struct Plan {
    releases: Vec<Release>,
    entries: Vec<Meta>,
    insts: Vec<Inst>,
    inst_cum: Vec<f64>,
}

impl Plan {
    fn slug(&self, i: usize) -> String {
        let m = &self.entries[i];
        format!(
            "{}-{}-{}",
            TOPICS[m.topic as usize].2, PROCS[m.proc_ as usize].2, m.seq
        )
    }

    /// The application of the title's scene, if any: (city, application).
    fn scene(&self, i: usize) -> Option<(usize, (&'static str, &'static str))> {
        let m = &self.entries[i];
        let field = &FIELDS[TOPICS[m.topic as usize].0];
        (m.scene > 0).then(|| {
            let k = m.scene as usize - 1;
            (k / 4, field.apps[k % 4])
        })
    }

    fn title_zh(&self, i: usize) -> String {
        let m = &self.entries[i];
        let mut t = String::new();
        if let Some((city, app)) = self.scene(i) {
            write!(t, "面向{}{}领域的", CITIES[city].0, app.0).unwrap();
        }
        if m.method > 0 {
            write!(t, "基于{}的", METHODS[m.method as usize - 1].0).unwrap();
        }
        write!(
            t,
            "{}{}{}",
            QUALS[m.qual as usize].0, TOPICS[m.topic as usize].3, PROCS[m.proc_ as usize].0
        )
        .unwrap();
        if m.generation > 0 {
            write!(t, "（第{}代）", m.generation + 1).unwrap();
        }
        t
    }

    fn title_en(&self, i: usize) -> String {
        let m = &self.entries[i];
        let p = PROCS[m.proc_ as usize].1;
        let mut t = String::new();
        let mut cs = p.chars();
        t.extend(cs.next().map(|c| c.to_ascii_uppercase()));
        t.push_str(cs.as_str());
        write!(
            t,
            " {} {}",
            QUALS[m.qual as usize].1, TOPICS[m.topic as usize].4
        )
        .unwrap();
        // English titles run longer: drop the method, then the city, to stay within 120.
        let method =
            (m.method > 0).then(|| format!(" based on {}", METHODS[m.method as usize - 1].1));
        let scene = self.scene(i);
        let len = t.len() + method.as_ref().map_or(0, String::len);
        match scene {
            Some((city, app)) if len + app.1.len() + CITIES[city].1.len() + 9 <= 110 => {
                t.push_str(method.as_deref().unwrap_or(""));
                write!(t, " for {} in {}", app.1, CITIES[city].1).unwrap();
            }
            Some((_, app)) if t.len() + app.1.len() + 5 <= 110 => {
                write!(t, " for {}", app.1).unwrap();
            }
            Some(_) => {}
            None if len <= 110 => t.push_str(method.as_deref().unwrap_or("")),
            None => {}
        }
        if m.generation > 0 {
            write!(t, " (generation {})", m.generation + 1).unwrap();
        }
        t
    }

    fn link_path(&self, i: usize) -> String {
        let r = &self.releases[self.entries[i].release as usize];
        format!("@/releases/{}/{}.md", r.id, self.slug(i))
    }
}

fn plan(n: usize, r: usize, seed: u64) -> Plan {
    let mut rng = Rng::stream(seed, 2, 0);
    // Release sizes vary by ±25%; tiny corpora are split evenly.
    let weights: Vec<f64> = (0..r)
        .map(|_| {
            if n <= 2 * r {
                1.0
            } else {
                0.75 + 0.5 * rng.f64()
            }
        })
        .collect();
    let cum = cumulative(weights);
    let total = cum[r - 1];
    let per_year = 4.max(r.div_ceil(10));
    let first_year = 2025 - ((r - 1) / per_year) as i64;
    let mut releases = Vec::with_capacity(r);
    let mut start = 0;
    for (k, share) in cum.iter().enumerate().take(r) {
        let end = if k == r - 1 {
            n
        } else {
            ((n as f64 * share / total).round() as usize).max(start)
        };
        let year = first_year + (k / per_year) as i64;
        let number = k % per_year + 1;
        let date = days_from_civil(year, 1, 1) + (number as i64 * 365) / (per_year as i64 + 1);
        releases.push(Release {
            id: format!("{year}-{number:02}"),
            year,
            number,
            date,
            start,
            end,
            public: 0,
            field_counts: [0; 8],
        });
        start = end;
    }

    let field_cum = cumulative(FIELDS.iter().map(|f| f.weight));
    let topics_by_field: Vec<Vec<usize>> = (0..FIELDS.len())
        .map(|f| (0..TOPICS.len()).filter(|&t| TOPICS[t].0 == f).collect())
        .collect();
    let mut entries = Vec::with_capacity(n);
    let mut public: Vec<u32> = Vec::new();
    // Titles are unique in the whole site, and two titles never differ by their qualifier
    // alone (Gazette's check warns about nearly equal titles): the key leaves the qualifier out.
    let mut titles: HashSet<u64> = HashSet::new();
    for (ri, rel) in releases.iter_mut().enumerate() {
        let release_public_start = public.len();
        for (seq, i) in (rel.start..rel.end).enumerate() {
            let field = rng.weighted(&field_cum);
            let topic = *rng.pick(&topics_by_field[field]);
            let mut qual = rng.below(QUALS.len());
            if TOPICS[topic].3.starts_with(QUALS[qual].0) {
                qual = (qual + 1) % QUALS.len();
            }
            let (mut proc_, mut scene, mut method, mut generation) = (0, 0, 0, 0u64);
            let mut tries = 0;
            loop {
                if tries < 64 {
                    proc_ = rng.below(PROCS.len());
                    scene = if rng.chance(0.4) {
                        0
                    } else {
                        1 + rng.below(CITIES.len() * 4)
                    };
                    method = if rng.chance(0.4) {
                        0
                    } else {
                        1 + rng.below(METHODS.len())
                    };
                } else {
                    generation += 1;
                }
                let key = (((topic * 64 + scene) * 32 + method) * 16 + proc_) as u64;
                if titles.insert(key | generation.min(255) << 40) {
                    break;
                }
                tries += 1;
            }
            let x = rng.f64();
            let status = if x < 0.01 {
                DRAFT
            } else if x < 0.02 {
                EMBARGOED
            } else {
                PUBLIC
            };
            let translated = rng.chance(0.3);
            let link = if public.is_empty() {
                NO_LINK
            } else if public.len() > release_public_start && rng.chance(0.5) {
                public[release_public_start + rng.below(public.len() - release_public_start)]
            } else {
                public[rng.below(public.len())]
            };
            if status == PUBLIC {
                public.push(i as u32);
                rel.public += 1;
                rel.field_counts[field] += 1;
            }
            entries.push(Meta {
                release: ri as u32,
                seq: seq as u32 + 1,
                topic: topic as u8,
                qual: qual as u8,
                proc_: proc_ as u8,
                scene: scene as u8,
                method: method as u8,
                generation: generation.min(255) as u8,
                status,
                translated,
                link,
            });
        }
    }

    let insts = institutions(seed);
    let inst_cum = cumulative((0..insts.len()).map(|k| 1.0 / (k as f64 + 1.0)));
    Plan {
        releases,
        entries,
        insts,
        inst_cum,
    }
}

// ---------------------------------------------------------------------------------------------
// Text.
// ---------------------------------------------------------------------------------------------

struct Ctx<'a> {
    obj: &'a str,
    obj_en: &'a str,
    qual_en: &'a str,
    proc_zh: &'a str,
    proc_en: &'a str,
    app: &'a str,
    app_en: &'a str,
    inst: &'a str,
    inst_en: &'a str,
}

/// Append `tpl` with its `{slot}`s filled.
fn expand(out: &mut String, tpl: &str, c: &Ctx, rng: &mut Rng) {
    let mut rest = tpl;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let j = i + rest[i..].find('}').expect("unclosed slot");
        match &rest[i + 1..j] {
            "obj" => out.push_str(c.obj),
            "obj_en" => out.push_str(c.obj_en),
            "qual_en" => out.push_str(c.qual_en),
            "proc" => out.push_str(c.proc_zh),
            "proc_en" => out.push_str(c.proc_en),
            "app" => out.push_str(c.app),
            "app_en" => out.push_str(c.app_en),
            "inst" => out.push_str(c.inst),
            "inst_en" => out.push_str(c.inst_en),
            "n1" => write!(out, "{}", rng.range(10, 60)).unwrap(),
            "n2" => write!(out, "{}", rng.range(2, 9)).unwrap(),
            "n3" => write!(out, "{}", rng.range(5, 90) * 100).unwrap(),
            other => panic!("unknown slot {other}"),
        }
        rest = &rest[j + 1..];
    }
    out.push_str(rest);
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// Words: each Han character counts as one, like CJK-aware word counters do.
fn count_words(s: &str) -> usize {
    let mut n = 0;
    let mut in_word = false;
    for c in s.chars() {
        if is_han(c) {
            n += 1;
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                n += 1;
                in_word = true;
            }
        } else if !(in_word && matches!(c, '-' | '\'' | '.' | '%' | ',')) {
            in_word = false;
        }
    }
    n
}

/// Append paragraphs of sentences from `pool` until about `words` words were written.
fn paragraphs(out: &mut String, pool: &[&str], words: usize, c: &Ctx, rng: &mut Rng, zh: bool) {
    let mut written = 0;
    let mut in_para = 0;
    // Walk the pool in a random cyclic order, so sentences repeat only after all were used.
    let len = pool.len();
    let mut k = rng.below(len);
    let stride = loop {
        let s = 1 + rng.below(len - 1);
        if gcd(s, len) == 1 {
            break s;
        }
    };
    while written < words {
        k = (k + stride) % len;
        if in_para > 0 && !zh {
            out.push(' ');
        }
        let start = out.len();
        expand(out, pool[k], c, rng);
        written += count_words(&out[start..]);
        in_para += 1;
        if in_para >= 3 + rng.below(3) && written < words {
            out.push_str("\n\n");
            in_para = 0;
        }
    }
    out.push_str("\n\n");
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn bullets(out: &mut String, pool: &[&str], c: &Ctx, rng: &mut Rng) {
    let k = 3 + rng.below(3);
    for i in rng.distinct(pool.len(), k) {
        out.push_str("- ");
        expand(out, pool[i], c, rng);
        out.push('\n');
    }
    out.push('\n');
}

fn table(out: &mut String, zh: bool, rng: &mut Rng) {
    if zh {
        out.push_str("| 指标 | 本成果 | 国内同类产品 |\n|---|---|---|\n");
    } else {
        out.push_str("| Metric | This result | Typical domestic product |\n|---|---|---|\n");
    }
    let rows = 4 + rng.below(3);
    for i in rng.distinct(METRICS.len(), rows) {
        let (mz, me, prefix, unit, lo, hi, up) = METRICS[i];
        let v = rng.range(lo, hi);
        let base = if up {
            lo + (v - lo) * 6 / 10
        } else {
            v + (hi - v) / 2 + 1
        };
        writeln!(
            out,
            "| {} | {prefix}{v}{unit} | {base}{unit} |",
            if zh { mz } else { me }
        )
        .unwrap();
    }
    out.push('\n');
}

fn push_toml_str(out: &mut String, s: &str) {
    out.push_str(&gazette::import::write::basic_string(s));
}

fn push_kv(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(" = ");
    push_toml_str(out, value);
    out.push('\n');
}

fn push_list<S: AsRef<str>>(out: &mut String, key: &str, items: &[S]) {
    out.push_str(key);
    out.push_str(" = [");
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_toml_str(out, s.as_ref());
    }
    out.push_str("]\n");
}

/// Append sentences while the text stays within `max` characters.
fn bounded(out: &mut String, max: usize, parts: &[String]) {
    let mut len = out.chars().count();
    for p in parts {
        let l = p.chars().count();
        if len + l > max {
            continue;
        }
        out.push_str(p);
        len += l;
    }
}

fn person(rng: &mut Rng) -> (String, String) {
    let s = rng.pick(SURNAMES);
    let mut zh = s.0.to_string();
    let mut py = String::new();
    for _ in 0..1 + rng.below(2) {
        let g = rng.pick(GIVEN);
        zh.push_str(g.0);
        py.push_str(g.1);
    }
    (zh, format!("{py}.{}", s.1))
}

fn svg(out: &mut String, title: &str, rng: &mut Rng) {
    const COLOURS: &[&str] = &["#2f6f9f", "#5b9a68", "#c9822b", "#8a5ca8", "#b84a4a"];
    write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"320\" height=\"180\" viewBox=\"0 0 320 180\" role=\"img\" aria-labelledby=\"t\">\n<title id=\"t\">{title}</title>\n<rect width=\"320\" height=\"180\" fill=\"#f6f8fa\"/>\n"
    )
    .unwrap();
    for (i, colour) in COLOURS.iter().enumerate().take(5) {
        let h = rng.range(20, 140);
        writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"36\" height=\"{h}\" fill=\"{}\"/>",
            34 + i * 54,
            160 - h,
            colour
        )
        .unwrap();
    }
    out.push_str("<line x1=\"20\" y1=\"160\" x2=\"300\" y2=\"160\" stroke=\"#333\"/>\n</svg>\n");
}

// ---------------------------------------------------------------------------------------------
// Writing.
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Stats {
    files: AtomicU64,
    bytes: AtomicU64,
}

impl Stats {
    fn write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        fs::write(path, data)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

struct Bufs {
    md: String,
    tail: String,
    aux: String,
}

fn write_entry(
    plan: &Plan,
    i: usize,
    seed: u64,
    releases_dir: &Path,
    stats: &Stats,
    b: &mut Bufs,
) -> io::Result<()> {
    let mut rng = Rng::stream(seed, 3, i as u64);
    let m = plan.entries[i];
    let rel = &plan.releases[m.release as usize];
    let topic = &TOPICS[m.topic as usize];
    let field = &FIELDS[topic.0];
    let slug = plan.slug(i);
    let title = plan.title_zh(i);

    // Institutions: 1–3, Zipf-distributed, the first is the lead.
    let n_inst = [1, 1, 2, 2, 2, 3][rng.below(6)];
    let mut inst_ix: Vec<usize> = Vec::with_capacity(3);
    while inst_ix.len() < n_inst {
        let k = rng.weighted(&plan.inst_cum);
        if !inst_ix.contains(&k) {
            inst_ix.push(k);
        }
    }
    let lead = &plan.insts[inst_ix[0]];
    let city = CITIES[lead.city];
    let app = match plan.scene(i) {
        Some((_, app)) => app,
        None => *rng.pick(field.apps),
    };
    let qual = QUALS[m.qual as usize];
    let proc_ = PROCS[m.proc_ as usize];
    let ctx = Ctx {
        obj: topic.3,
        obj_en: topic.4,
        qual_en: qual.1,
        proc_zh: proc_.0,
        proc_en: proc_.1,
        app: app.0,
        app_en: app.1,
        inst: &lead.zh,
        inst_en: &lead.en,
    };

    // Enum values.
    let mut fields = vec![field.key];
    if rng.chance(0.3) {
        let other = FIELDS[rng.below(FIELDS.len())].key;
        if other != field.key {
            fields.push(other);
        }
    }
    let cluster = if rng.chance(0.85) {
        topic.1
    } else {
        *rng.pick(CLUSTERS)
    };
    let stage_cum = cumulative(STAGES.iter().map(|s| s.1));
    let stage = STAGES[rng.weighted(&stage_cum)];
    let trl = rng.range(stage.2, stage.3);
    let mode_cum = cumulative(MODES.iter().map(|m| m.1));
    let n_modes = 1 + rng.below(3);
    let mut modes: Vec<&str> = Vec::new();
    while modes.len() < n_modes {
        let k = MODES[rng.weighted(&mode_cum)].0;
        if !modes.contains(&k) {
            modes.push(k);
        }
    }

    // ---- Front matter.
    let md = &mut b.md;
    md.clear();
    md.push_str("+++\n");
    push_kv(md, "title", &title);
    let mut summary = String::new();
    let mut parts = vec![format!(
        "{}针对{}领域对{}的需求，开发{}{}{}。",
        lead.zh, app.0, topic.3, qual.0, topic.3, proc_.0
    )];
    for _ in 0..4 {
        let mut s = String::new();
        expand(
            &mut s,
            ZH_OVERVIEW[rng.below(ZH_OVERVIEW.len())],
            &ctx,
            &mut rng,
        );
        parts.push(s);
    }
    let max = 140 + rng.below(161);
    bounded(&mut summary, max, &parts);
    push_kv(md, "summary", &summary);
    let inst_names: Vec<&str> = inst_ix.iter().map(|&k| plan.insts[k].zh.as_str()).collect();
    push_list(md, "institutions", &inst_names);
    push_list(md, "fields", &fields);
    push_kv(md, "cluster", cluster);
    push_kv(md, "stage", stage.0);
    writeln!(md, "trl = {trl}").unwrap();
    push_list(md, "modes", &modes);
    push_kv(md, "region", city.3);
    let mut kws: Vec<&str> = vec![topic.3];
    kws.extend(topic.5.iter().map(|k| k.0));
    kws.push(field.zh);
    if rng.chance(0.5) {
        kws.push(app.0);
    }
    push_list(md, "keywords", &kws);
    push_kv(
        md,
        "website",
        &format!(
            "https://{}.example.org/results/{}/{slug}",
            lead.code, rel.id
        ),
    );
    if jpeg_cover(i) {
        push_kv(md, "cover", &format!("{slug}/cover.jpg"));
        push_kv(
            md,
            "cover_alt",
            &format!("{}中试现场照片（生成图）", topic.3),
        );
    } else {
        push_kv(md, "cover", &format!("{slug}/fig.svg"));
        push_kv(
            md,
            "cover_alt",
            &format!("{}关键指标与{}对比柱状图", topic.3, "国内同类产品"),
        );
    }
    writeln!(
        md,
        "date = {}",
        fmt_date(rel.date - rng.range(0, 60) as i64)
    )
    .unwrap();
    match m.status {
        DRAFT => md.push_str("draft = true\n"),
        EMBARGOED => md.push_str("embargo = 2099-01-01T00:00:00+08:00\n"),
        _ => {}
    }
    let (lead_name, lead_py) = person(&mut rng);
    let members: Vec<(String, String)> = (0..2 + rng.below(5)).map(|_| person(&mut rng)).collect();
    md.push_str("\n[team]\n");
    push_kv(md, "lead", &lead_name);
    let member_names: Vec<&str> = members.iter().map(|p| p.0.as_str()).collect();
    push_list(md, "members", &member_names);
    md.push_str("\n[contact]\n");
    let contact = if rng.chance(0.3) {
        (&lead_name, &lead_py)
    } else {
        let p = rng.pick(&members);
        (&p.0, &p.1)
    };
    push_kv(md, "name", contact.0);
    push_kv(md, "org", &format!("{}{}", lead.zh, rng.pick(DEPARTMENTS)));
    push_kv(
        md,
        "phone",
        &format!("{}-8{:07}", city.2, rng.below(10_000_000)),
    );
    push_kv(md, "email", &format!("{}@example.org", contact.1));
    md.push_str("\n[price]\n");
    if stage.0 == "research" || rng.chance(0.35) {
        md.push_str("negotiable = true\n");
    } else {
        writeln!(
            md,
            "amount = {}\nnegotiable = false",
            rng.range(1, 400) * 10
        )
        .unwrap();
    }
    let n_ip = [0, 1, 1, 1, 2, 2, 2, 3, 3, 4][rng.below(10)];
    for _ in 0..n_ip {
        let t = IP_TYPES[[0, 0, 0, 0, 1, 1, 2, 3][rng.below(8)]];
        let status = if t == "software" {
            "granted"
        } else {
            IP_STATUSES[[0, 0, 1, 1, 1, 1, 1, 2][rng.below(8)]]
        };
        let year = rng.range(2016, 2024);
        let kind = match t {
            "invention" => 1,
            "utility" => 2,
            _ => 3,
        };
        let number = if t == "software" {
            format!("{year}SR{:07}", rng.below(10_000_000))
        } else if status == "pending" {
            format!(
                "{year} {kind} {:07}.{}",
                rng.below(10_000_000),
                rng.below(10)
            )
        } else {
            format!(
                "ZL {year} {kind} {:07}.{}",
                rng.below(10_000_000),
                rng.below(10)
            )
        };
        md.push_str("\n[[ip]]\n");
        push_kv(md, "type", t);
        push_kv(md, "number", &number);
        push_kv(md, "status", status);
    }
    md.push_str("+++\n");

    // ---- Body: fixed sections first (to count them), then fill the free text up to the target.
    // 400–800 words once the last sentence of each section overshoots a little.
    let target = 390 + rng.below(351);
    let link = if m.link == NO_LINK {
        None
    } else {
        Some(m.link as usize)
    };
    let tail = &mut b.tail;
    tail.clear();
    writeln!(tail, "![{}关键指标对比示意图]({slug}/fig.svg)\n", topic.3).unwrap();
    tail.push_str("## 创新点\n\n");
    bullets(tail, ZH_BULLETS, &ctx, &mut rng);
    tail.push_str("## 技术指标\n\n");
    table(tail, true, &mut rng);
    tail.push_str("## 应用领域\n\n");
    let apps: Vec<&str> = field.apps.iter().map(|a| a.0).collect();
    write!(tail, "可广泛应用于{}等领域。", apps.join("、")).unwrap();
    match link {
        Some(t) => writeln!(
            tail,
            "该成果可与此前发布的[{}]({})配套应用，形成更完整的解决方案。\n",
            plan.title_zh(t),
            plan.link_path(t)
        )
        .unwrap(),
        None => writeln!(
            tail,
            "本批成果的总体情况见[发布说明](@/releases/{}/_release.md)。\n",
            rel.id
        )
        .unwrap(),
    }
    tail.push_str("## Benefits\n\n");
    for _ in 0..2 {
        expand(
            tail,
            EN_SENTENCES[rng.below(EN_SENTENCES.len())],
            &ctx,
            &mut rng,
        );
        tail.push(' ');
    }
    tail.pop();
    tail.push_str("\n\n## 合作需求\n\n");
    tail.push_str(ZH_COOPERATION[rng.below(ZH_COOPERATION.len())]);
    tail.push('\n');
    let fixed = count_words(tail);
    let free = target.saturating_sub(fixed).max(60);
    md.push_str("\n## 技术简介\n\n");
    paragraphs(md, ZH_OVERVIEW, free * 55 / 100, &ctx, &mut rng, true);
    md.push_str("## Abstract\n\n");
    paragraphs(md, EN_SENTENCES, free * 45 / 100, &ctx, &mut rng, false);
    md.push_str(tail);
    let dir = releases_dir.join(&rel.id);
    stats.write(&dir.join(format!("{slug}.md")), md.as_bytes())?;

    // ---- The image beside the entry.
    let asset_dir = dir.join(&slug);
    fs::create_dir(&asset_dir)?;
    b.aux.clear();
    svg(&mut b.aux, &format!("{}: key metrics", topic.4), &mut rng);
    stats.write(&asset_dir.join("fig.svg"), b.aux.as_bytes())?;
    if jpeg_cover(i) {
        let img = picture::draw(seed.wrapping_mul(1_000_003) ^ i as u64, 2400, 1600);
        let mut jpeg = Vec::with_capacity(1 << 20);
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
            .encode_image(&img)
            .map_err(io::Error::other)?;
        stats.write(&asset_dir.join("cover.jpg"), &jpeg)?;
    }

    // ---- English translation: title, summary, institutions and body only.
    if m.translated {
        let en = &mut b.aux;
        en.clear();
        en.push_str("+++\n");
        push_kv(en, "title", &plan.title_en(i));
        let mut summary = String::new();
        let mut parts = vec![format!(
            "A {} {} {}, developed by {}. ",
            qual.1, proc_.1, topic.4, lead.en
        )];
        for _ in 0..3 {
            let mut s = String::new();
            expand(
                &mut s,
                EN_SENTENCES[rng.below(EN_SENTENCES.len())],
                &ctx,
                &mut rng,
            );
            s.push(' ');
            parts.push(s);
        }
        bounded(&mut summary, 300, &parts);
        push_kv(en, "summary", summary.trim_end());
        let names: Vec<&str> = inst_ix.iter().map(|&k| plan.insts[k].en.as_str()).collect();
        push_list(en, "institutions", &names);
        en.push_str("+++\n");
        let body_start = en.len();
        let tail = &mut b.tail;
        tail.clear();
        writeln!(
            tail,
            "![Key metrics of {} compared with typical products]({slug}/fig.svg)\n",
            topic.4
        )
        .unwrap();
        tail.push_str("## Innovation\n\n");
        bullets(tail, EN_BULLETS, &ctx, &mut rng);
        tail.push_str("## Key metrics\n\n");
        table(tail, false, &mut rng);
        tail.push_str("## Applications\n\n");
        let apps: Vec<&str> = field.apps.iter().map(|a| a.1).collect();
        write!(tail, "Typical uses include {}.", apps.join(", ")).unwrap();
        match link {
            Some(t) => writeln!(
                tail,
                " It can be combined with [{}]({}), released earlier, for a more complete solution.\n",
                plan.title_en(t),
                plan.link_path(t)
            )
            .unwrap(),
            None => writeln!(
                tail,
                " See the [release notes](@/releases/{}/_release.md) for an overview.\n",
                rel.id
            )
            .unwrap(),
        }
        tail.push_str("## Benefits\n\n");
        let fixed = count_words(tail);
        let free = target.saturating_sub(fixed).max(60);
        en.push_str("\n## Overview\n\n");
        paragraphs(en, EN_SENTENCES, free * 6 / 10, &ctx, &mut rng, false);
        en.push_str(tail);
        let so_far = count_words(&en[body_start..]);
        paragraphs(
            en,
            EN_SENTENCES,
            target.saturating_sub(so_far).max(20),
            &ctx,
            &mut rng,
            false,
        );
        stats.write(&dir.join(format!("{slug}.en.md")), en.as_bytes())?;
    }
    Ok(())
}

/// Needs a company may put about a topic (`{T}`, the topic's object; `{A}` an application).
const DEMAND_TITLES: &[&str] = &[
    "{T}国产化替代需求",
    "面向{A}的{T}工艺改进",
    "{T}降本增效技术攻关",
    "寻求{T}中试放大合作",
    "{A}用{T}性能提升",
];

/// One enterprise demand: a topic of the results, worded as a need.
fn write_demand(i: usize, seed: u64, dir: &Path, stats: &Stats) -> io::Result<()> {
    let mut rng = Rng::stream(seed, 7, i as u64);
    let topic = TOPICS[rng.below(TOPICS.len())];
    let field = &FIELDS[topic.0];
    let app = field.apps[rng.below(field.apps.len())];
    let city = CITIES[rng.below(CITIES.len())];
    let title = DEMAND_TITLES[rng.below(DEMAND_TITLES.len())]
        .replace("{T}", topic.3)
        .replace("{A}", app.0);
    let kws: Vec<&str> = topic.5.iter().map(|k| k.0).chain([app.0]).collect();
    let mut md = String::from("+++\n");
    push_kv(&mut md, "title", &format!("{title}（{i}）"));
    push_kv(
        &mut md,
        "summary",
        &format!(
            "公司在{}业务中需要{}，现有方案成本高、稳定性不足，希望与高校院所合作解决。",
            app.0, topic.3
        ),
    );
    push_kv(&mut md, "company", &format!("{}某企业{i}（示例）", city.3));
    push_list(&mut md, "fields", &[field.key]);
    push_kv(
        &mut md,
        "demand_type",
        ["tackle", "introduce", "joint", "acquire"][rng.below(4)],
    );
    push_list(&mut md, "keywords", &kws);
    push_kv(&mut md, "region", city.3);
    writeln!(md, "date = {}", fmt_date(19_000 + rng.range(0, 700) as i64)).unwrap();
    writeln!(
        md,
        "closes = {}",
        fmt_date(21_000 + rng.range(0, 700) as i64)
    )
    .unwrap();
    md.push_str("\n[contact]\n");
    push_kv(&mut md, "name", "联系人");
    md.push_str("+++\n\n");
    writeln!(
        md,
        "需求背景：{}领域的{}用于{}，需要在性能与成本上取得突破。",
        field.zh, topic.3, app.0
    )
    .unwrap();
    stats.write(&dir.join(format!("demand-{i:06}.md")), md.as_bytes())
}

fn write_release(plan: &Plan, k: usize, dir: &Path, stats: &Stats) -> io::Result<()> {
    let r = &plan.releases[k];
    let mut order: Vec<usize> = (0..FIELDS.len()).collect();
    order.sort_by_key(|&f| (std::cmp::Reverse(r.field_counts[f]), f));
    let top_zh: Vec<&str> = order[..3].iter().map(|&f| FIELDS[f].zh).collect();
    let top_en: Vec<&str> = order[..3].iter().map(|&f| FIELDS[f].en).collect();

    let mut s = String::new();
    writeln!(s, "number = {}", r.number).unwrap();
    push_kv(
        &mut s,
        "title",
        &format!("{}年第{}批重大科技成果", r.year, r.number),
    );
    writeln!(s, "date = {}", fmt_date(r.date)).unwrap();
    push_kv(
        &mut s,
        "summary",
        &format!(
            "本批发布{}项重大科技成果，集中在{}、{}和{}领域，均注明成熟度、合作方式和参考价格，供企业对接转化。",
            r.public, top_zh[0], top_zh[1], top_zh[2]
        ),
    );
    push_kv(&mut s, "issuer", "省科学技术厅");
    stats.write(&dir.join("_release.toml"), s.as_bytes())?;

    s.clear();
    push_kv(
        &mut s,
        "title",
        &format!(
            "Major Scientific and Technological Results, {} Release {}",
            r.year, r.number
        ),
    );
    push_kv(
        &mut s,
        "summary",
        &format!(
            "{} major results, mainly in {}, {} and {}, each with its stage, transfer modes and a reference price.",
            r.public, top_en[0], top_en[1], top_en[2]
        ),
    );
    push_kv(
        &mut s,
        "issuer",
        "Provincial Department of Science and Technology",
    );
    stats.write(&dir.join("_release.en.toml"), s.as_bytes())?;

    s.clear();
    write!(
        s,
        "为加快高校院所科技成果向现实生产力转化，省科学技术厅组织开展重大科技成果常态化征集与发布工作。全省{}家高校和科研院所持续报送可转化科技成果，经形式审查、专家评议和企业需求对接后分批向社会集中发布。\n\n\
         本批为{}年第{}批，共发布成果{}项，主要分布在{}、{}和{}领域。每项成果均注明了成熟度、合作方式和参考价格。企业可直接与成果联系人洽谈，也可通过省技术市场挂牌交易。\n\n\
         全省中试基地可为本批成果的后续放大提供场地、公用工程和安全评价服务。本站全部内容均为基准测试用的生成数据。\n",
        plan.insts.len(),
        r.year,
        r.number,
        r.public,
        top_zh[0],
        top_zh[1],
        top_zh[2]
    )
    .unwrap();
    stats.write(&dir.join("_release.md"), s.as_bytes())?;

    s.clear();
    write!(
        s,
        "The Provincial Department of Science and Technology publishes transferable results from {} universities and research institutes in numbered releases.\n\n\
         Release {} of {} contains {} results, mainly in {}, {} and {}. Every result states its stage, the transfer modes on offer and a reference price.\n\n\
         All content on this site is generated data for benchmarks.\n",
        plan.insts.len(),
        r.number,
        r.year,
        r.public,
        top_en[0],
        top_en[1],
        top_en[2]
    )
    .unwrap();
    stats.write(&dir.join("_release.en.md"), s.as_bytes())
}

fn write_pages(plan: &Plan, dir: &Path, stats: &Stats) -> io::Result<()> {
    let n: usize = plan.releases.iter().map(|r| r.public).sum();
    let about = format!(
        "+++\ntitle = \"关于成果发布\"\n+++\n\
         > **特别说明：本网站全部内容均为基准测试生成的示例数据**，人员、电话、邮箱、专利号和成果均为虚构。\n\n\
         ## 发布什么\n\n\
         “重大科技成果发布”是省科学技术厅推动科技成果转化的一项常态化工作。目前已发布{}批、共{n}项成果，来自{}家高校和科研院所。\n\n\
         ## 每项成果包含哪些信息\n\n\
         - 成果名称、简介和完成单位；\n- 技术领域、产业集群、成熟度和技术就绪度；\n- 合作方式、知识产权、参考价格和联系人。\n",
        plan.releases.len(),
        plan.insts.len()
    );
    stats.write(&dir.join("about.md"), about.as_bytes())?;
    let about_en = format!(
        "+++\ntitle = \"About the Results Releases\"\n+++\n\
         > **All content on this site is generated sample data for benchmarks.** People, phone numbers, e-mail addresses, patent numbers and results are invented.\n\n\
         ## What is released\n\n\
         The Provincial Department of Science and Technology publishes transferable results in numbered releases: {} releases with {n} results from {} universities and research institutes so far.\n",
        plan.releases.len(),
        plan.insts.len()
    );
    stats.write(&dir.join("about.en.md"), about_en.as_bytes())
}

fn copy_dir(from: &Path, to: &Path, stats: &Stats) -> io::Result<()> {
    fs::create_dir_all(to)?;
    let mut items: Vec<_> = fs::read_dir(from)?.collect::<Result<_, _>>()?;
    items.sort_by_key(|e| e.file_name());
    for e in items {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type()?.is_dir() {
            copy_dir(&src, &dst, stats)?;
        } else {
            stats.write(&dst, &fs::read(&src)?)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// site.toml check: every enum key this generator writes must be one the schema declares, and
// every required field must be one the generator fills.
// ---------------------------------------------------------------------------------------------

fn check_schema(site_toml: &str) -> Result<(), String> {
    let doc: toml::Table = toml::from_str(site_toml).map_err(|e| format!("site.toml: {e}"))?;
    let schema = doc
        .get("schema")
        .and_then(|v| v.as_table())
        .ok_or("site.toml has no [schema]")?;
    let known = [
        "title",
        "summary",
        "institutions",
        "team",
        "fields",
        "cluster",
        "stage",
        "trl",
        "modes",
        "ip",
        "price",
        "contact",
        "region",
        "keywords",
        "website",
        "cover",
        "cover_alt",
        "date",
        "draft",
        "embargo",
    ];
    let mut problems = Vec::new();
    for (name, def) in schema {
        if !known.contains(&name.as_str()) {
            let required = def.get("required").and_then(|v| v.as_bool()) == Some(true);
            if required {
                problems.push(format!(
                    "required field `{name}` is unknown to the generator"
                ));
            } else {
                eprintln!("warning: schema field `{name}` is not filled by the generator");
            }
        }
    }
    let options = |path: &[&str]| -> Vec<String> {
        let mut v = schema.get(path[0]);
        for p in &path[1..] {
            v = v.and_then(|x| x.get(*p));
        }
        v.and_then(|o| o.get("options"))
            .and_then(|o| o.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|o| o.get("key").and_then(|k| k.as_str()).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut need = |path: &[&str], keys: &mut dyn Iterator<Item = &str>| {
        let have = options(path);
        for k in keys {
            if !have.iter().any(|h| h == k) {
                problems.push(format!(
                    "enum key `{k}` is not an option of schema.{}",
                    path.join(".")
                ));
            }
        }
    };
    need(&["fields", "item"], &mut FIELDS.iter().map(|f| f.key));
    need(
        &["cluster"],
        &mut CLUSTERS.iter().copied().chain(TOPICS.iter().map(|t| t.1)),
    );
    need(&["stage"], &mut STAGES.iter().map(|s| s.0));
    need(&["modes", "item"], &mut MODES.iter().map(|m| m.0));
    need(
        &["ip", "item", "fields", "type"],
        &mut IP_TYPES.iter().copied(),
    );
    need(
        &["ip", "item", "fields", "status"],
        &mut IP_STATUSES.iter().copied(),
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

// ---------------------------------------------------------------------------------------------

/// How many entries (the first ones) get a JPEG cover (`--covers`).
static COVERS: AtomicUsize = AtomicUsize::new(0);

fn jpeg_cover(i: usize) -> bool {
    i < COVERS.load(Ordering::Relaxed)
}

struct Args {
    entries: usize,
    releases: usize,
    out: PathBuf,
    /// Where site.toml and themes/ are copied from (default: this repository).
    from: PathBuf,
    seed: u64,
    jobs: usize,
    /// Enterprise demands to write (0: none).
    demands: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: gen_corpus --entries N --releases R --out DIR [--seed S] [--jobs J] [--from SITE] [--demands N] [--covers N]\n\
         DIR must not exist or be empty. site.toml and themes/ are copied from SITE\n\
         (default: the repository this generator was built from)."
    );
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut a = Args {
        entries: 0,
        releases: 0,
        out: PathBuf::new(),
        seed: 1,
        from: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()) * 2,
        demands: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| usage());
        let num = || v.parse::<u64>().unwrap_or_else(|_| usage());
        match k.as_str() {
            "--entries" => a.entries = num() as usize,
            "--releases" => a.releases = num() as usize,
            "--seed" => a.seed = num(),
            "--jobs" => a.jobs = (num() as usize).max(1),
            "--covers" => COVERS.store(num() as usize, Ordering::Relaxed),
            "--out" => a.out = PathBuf::from(&v),
            "--from" => a.from = PathBuf::from(&v),
            "--demands" => a.demands = num() as usize,
            _ => usage(),
        }
    }
    if a.entries == 0 || a.releases == 0 || a.out.as_os_str().is_empty() {
        usage();
    }
    if a.releases > 9999 {
        eprintln!("at most 9999 releases");
        std::process::exit(2);
    }
    a
}

fn main() {
    if let Err(e) = run() {
        eprintln!("gen_corpus: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args();
    let t0 = Instant::now();
    let repo = args.from.as_path();
    let site_toml = fs::read_to_string(repo.join("site.toml"))?;
    check_schema(&site_toml)
        .map_err(|e| format!("the generator does not match site.toml:\n{e}"))?;

    if args.out.exists() && fs::read_dir(&args.out)?.next().is_some() {
        return Err(format!("{} exists and is not empty", args.out.display()).into());
    }
    let stats = Stats::default();
    fs::create_dir_all(&args.out)?;
    stats.write(&args.out.join("site.toml"), site_toml.as_bytes())?;
    copy_dir(&repo.join("themes"), &args.out.join("themes"), &stats)?;

    let plan = plan(args.entries, args.releases, args.seed);
    let content = args.out.join("content");
    let pages = content.join("pages");
    fs::create_dir_all(&pages)?;
    write_pages(&plan, &pages, &stats)?;
    let releases_dir = content.join("releases");
    for (k, r) in plan.releases.iter().enumerate() {
        let d = releases_dir.join(&r.id);
        fs::create_dir_all(&d)?;
        write_release(&plan, k, &d, &stats)?;
    }

    if args.demands > 0 {
        let dir = content.join("demands");
        fs::create_dir_all(&dir)?;
        for i in 0..args.demands {
            write_demand(i, args.seed, &dir, &stats)?;
        }
    }

    // Entries in parallel; each depends only on its own PRNG stream, so output is deterministic.
    const CHUNK: usize = 64;
    let next = AtomicUsize::new(0);
    let n = plan.entries.len();
    let results: Vec<io::Result<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.jobs)
            .map(|_| {
                s.spawn(|| -> io::Result<()> {
                    let mut b = Bufs {
                        md: String::with_capacity(16 << 10),
                        tail: String::with_capacity(8 << 10),
                        aux: String::with_capacity(16 << 10),
                    };
                    loop {
                        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= n {
                            return Ok(());
                        }
                        for i in start..(start + CHUNK).min(n) {
                            write_entry(&plan, i, args.seed, &releases_dir, &stats, &mut b)?;
                        }
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in results {
        r?;
    }

    let drafts = plan.entries.iter().filter(|m| m.status == DRAFT).count();
    let embargoed = plan
        .entries
        .iter()
        .filter(|m| m.status == EMBARGOED)
        .count();
    let translated = plan.entries.iter().filter(|m| m.translated).count();
    println!(
        "generated {n} entries ({drafts} drafts, {embargoed} embargoed, {translated} English translations) \
         in {} releases, {} institutions: {} files, {:.1} MB, in {:.2} s -> {}",
        plan.releases.len(),
        plan.insts.len(),
        stats.files.load(Ordering::Relaxed),
        stats.bytes.load(Ordering::Relaxed) as f64 / 1e6,
        t0.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
