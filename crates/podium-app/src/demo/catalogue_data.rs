//! The words the demo catalogue is written with, in English, French, Simplified Chinese,
//! Japanese and Korean (in that order in every array).

/// (slug, licensor slug, sport, names in the five languages)
pub const PROPERTIES: &[(&str, &str, &str, [&str; 5])] = &[
    (
        "olympic-heritage",
        "olympic-committee",
        "multi-sport",
        ["Olympic Heritage", "Patrimoine olympique", "奥林匹克遗产", "オリンピック・ヘリテージ", "올림픽 헤리티지"],
    ),
    (
        "pyeongchang-2018",
        "pyeongchang-2018",
        "winter sports",
        ["PyeongChang 2018", "PyeongChang 2018", "平昌2018", "平昌2018", "평창 2018"],
    ),
    (
        "team-kenya",
        "team-kenya",
        "athletics",
        ["Team Kenya", "Équipe du Kenya", "肯尼亚代表队", "ケニア代表", "케냐 대표팀"],
    ),
    (
        "kenya-ice-lions",
        "team-kenya",
        "ice hockey",
        ["Kenya Ice Lions", "Kenya Ice Lions", "肯尼亚冰狮队", "ケニア・アイスライオンズ", "케냐 아이스 라이언스"],
    ),
    (
        "amsterdam-1928",
        "amsterdam-1928",
        "multi-sport",
        ["Amsterdam 1928", "Amsterdam 1928", "阿姆斯特丹1928", "アムステルダム1928", "암스테르담 1928"],
    ),
];

/// Motifs per property, each in the five languages.
pub const MOTIFS: &[(&str, [[&str; 5]; 3])] = &[
    (
        "olympic-heritage",
        [
            ["Torch Relay", "Relais de la flamme", "火炬传递", "聖火リレー", "성화 봉송"],
            ["Laurel", "Laurier", "月桂", "月桂樹", "월계수"],
            ["Vintage Poster", "Affiche rétro", "复古海报", "ヴィンテージポスター", "빈티지 포스터"],
        ],
    ),
    (
        "pyeongchang-2018",
        [
            ["White Tiger", "Tigre blanc", "白虎", "白虎", "백호"],
            ["Snowflake", "Flocon", "雪花", "雪の結晶", "눈꽃"],
            ["Mountain Ridge", "Crêtes enneigées", "雪山", "雪山", "설산"],
        ],
    ),
    (
        "team-kenya",
        [
            ["Savannah Sunrise", "Aube sur la savane", "草原日出", "サバンナの朝日", "사바나 일출"],
            ["Marathon", "Marathon", "马拉松", "マラソン", "마라톤"],
            ["Flag Colours", "Couleurs du drapeau", "国旗配色", "国旗カラー", "국기 색상"],
        ],
    ),
    (
        "kenya-ice-lions",
        [
            ["Lion Crest", "Blason du lion", "狮子队徽", "ライオンの紋章", "사자 엠블럼"],
            ["Roller Blades", "Rollers", "轮滑", "ローラーブレード", "롤러블레이드"],
            ["Face-off", "Mise en jeu", "争球", "フェイスオフ", "페이스오프"],
        ],
    ),
    (
        "amsterdam-1928",
        [
            ["Art Deco", "Art déco", "装饰艺术", "アール・デコ", "아르데코"],
            ["Olympic Stadium", "Stade olympique", "奥林匹克体育场", "オリンピック・スタジアム", "올림픽 경기장"],
            ["Canal House", "Maison du canal", "运河房屋", "運河沿いの家", "운하 주택"],
        ],
    ),
];

/// An item type: (handle stem, category, HS code, grams, price in EUR cents, option name per
/// language, option values, nouns in the five languages, a sentence about how it is made).
pub struct Item {
    pub stem: &'static str,
    pub category: &'static str,
    pub hs: &'static str,
    pub grams: i64,
    pub eur_cents: i64,
    pub option: [&'static str; 5],
    pub values: &'static [&'static str],
    pub noun: [&'static str; 5],
    pub made: [&'static str; 5],
}

const SIZE: [&str; 5] = ["Size", "Taille", "尺码", "サイズ", "사이즈"];
const COLOUR: [&str; 5] = ["Colour", "Couleur", "颜色", "カラー", "색상"];

pub const ITEMS: &[Item] = &[
    Item {
        stem: "tee",
        category: "t-shirts",
        hs: "610910",
        grams: 180,
        eur_cents: 2900,
        option: SIZE,
        values: &["S", "M", "L", "XL"],
        noun: ["T-shirt", "T-shirt", "T恤", "Tシャツ", "티셔츠"],
        made: [
            "Printed by hand on soft organic cotton.",
            "Imprimé à la main sur un coton bio tout doux.",
            "在柔软的有机棉上手工印制。",
            "柔らかなオーガニックコットンに手刷りでプリントしています。",
            "부드러운 유기농 면에 손으로 직접 인쇄했습니다.",
        ],
    },
    Item {
        stem: "hoodie",
        category: "hoodies",
        hs: "611020",
        grams: 520,
        eur_cents: 5900,
        option: SIZE,
        values: &["S", "M", "L", "XL"],
        noun: ["Hoodie", "Sweat à capuche", "连帽衫", "パーカー", "후드티"],
        made: [
            "Heavy brushed fleece, embroidered rather than printed.",
            "Molleton gratté épais, brodé plutôt qu’imprimé.",
            "厚实的磨毛抓绒面料，图案为刺绣而非印花。",
            "厚手の裏起毛素材に、プリントではなく刺繍を施しました。",
            "두툼한 기모 원단에 프린트 대신 자수를 놓았습니다.",
        ],
    },
    Item {
        stem: "cap",
        category: "headwear",
        hs: "650500",
        grams: 110,
        eur_cents: 2400,
        option: COLOUR,
        values: &["Navy", "White"],
        noun: ["Cap", "Casquette", "棒球帽", "キャップ", "모자"],
        made: [
            "Six panels of washed cotton twill with an adjustable strap.",
            "Six panneaux de sergé de coton lavé et une bride réglable.",
            "六片水洗棉斜纹布拼接，可调节后扣。",
            "洗いをかけたコットンツイルの6パネルに、調節できるストラップ付き。",
            "워싱 면 트윌 6패널에 길이 조절 스트랩이 달려 있습니다.",
        ],
    },
    Item {
        stem: "scarf",
        category: "scarves",
        hs: "611710",
        grams: 160,
        eur_cents: 3200,
        option: COLOUR,
        values: &["Classic", "Reversible"],
        noun: ["Scarf", "Écharpe", "围巾", "マフラー", "머플러"],
        made: [
            "Knitted from merino wool, warm enough for a winter stand.",
            "Tricotée en laine mérinos, assez chaude pour une tribune en hiver.",
            "美利奴羊毛针织而成，足以抵御冬日看台的寒风。",
            "メリノウールで編み上げ、冬のスタンドでも暖かく過ごせます。",
            "메리노 울로 짜서 겨울 관중석에서도 따뜻합니다.",
        ],
    },
    Item {
        stem: "pin",
        category: "pins-and-badges",
        hs: "711719",
        grams: 15,
        eur_cents: 900,
        option: COLOUR,
        values: &["Gold", "Silver"],
        noun: ["Enamel pin", "Pin’s émaillé", "珐琅徽章", "ピンバッジ", "에나멜 배지"],
        made: [
            "Hard enamel filled by hand and polished flat.",
            "Émail dur coulé à la main puis poli.",
            "硬珐琅手工填色并抛光。",
            "硬質エナメルを手作業で流し込み、平らに磨き上げました。",
            "단단한 에나멜을 손으로 채우고 매끄럽게 연마했습니다.",
        ],
    },
    Item {
        stem: "plush",
        category: "plush-and-mascots",
        hs: "950300",
        grams: 300,
        eur_cents: 3500,
        option: SIZE,
        values: &["20 cm", "30 cm"],
        noun: ["Plush toy", "Peluche", "毛绒玩具", "ぬいぐるみ", "봉제 인형"],
        made: [
            "Soft to hug and tested to the EN 71 toy safety standard.",
            "Douce à câliner et testée selon la norme de sécurité des jouets EN 71.",
            "抱起来柔软舒适，并通过EN 71玩具安全标准检测。",
            "抱き心地がやわらかく、玩具安全規格EN 71の試験に合格しています。",
            "안기 좋을 만큼 부드럽고 EN 71 완구 안전 기준 시험을 통과했습니다.",
        ],
    },
    Item {
        stem: "tote",
        category: "bags",
        hs: "420222",
        grams: 200,
        eur_cents: 1900,
        option: COLOUR,
        values: &["Natural", "Black"],
        noun: ["Tote bag", "Sac cabas", "帆布包", "トートバッグ", "에코백"],
        made: [
            "Sturdy canvas with long handles, screen-printed in small batches.",
            "Toile robuste à longues anses, sérigraphiée en petites séries.",
            "结实的帆布配长提手，小批量丝网印刷。",
            "丈夫なキャンバス地に長めの持ち手、少量ずつシルクスクリーンで刷っています。",
            "튼튼한 캔버스에 긴 손잡이, 소량씩 실크스크린으로 인쇄했습니다.",
        ],
    },
    Item {
        stem: "mug",
        category: "mugs",
        hs: "691200",
        grams: 350,
        eur_cents: 1600,
        option: SIZE,
        values: &["330 ml"],
        noun: ["Mug", "Mug", "马克杯", "マグカップ", "머그컵"],
        made: [
            "Glazed stoneware, safe in the dishwasher and the microwave.",
            "Grès émaillé, compatible lave-vaisselle et micro-ondes.",
            "施釉粗陶，可放入洗碗机和微波炉。",
            "釉薬をかけた炻器で、食洗機と電子レンジに対応しています。",
            "유약을 바른 석기로 식기세척기와 전자레인지에 사용할 수 있습니다.",
        ],
    },
    Item {
        stem: "poster",
        category: "posters",
        hs: "491110",
        grams: 120,
        eur_cents: 2200,
        option: SIZE,
        values: &["A3", "A2"],
        noun: ["Poster", "Affiche", "海报", "ポスター", "포스터"],
        made: [
            "Giclée print on heavy matte paper, shipped rolled in a tube.",
            "Tirage giclée sur papier mat épais, expédié roulé dans un tube.",
            "厚磨砂纸微喷印刷，卷起装入纸筒寄送。",
            "厚手のマット紙にジクレー印刷し、筒に入れてお届けします。",
            "두꺼운 무광지에 지클레 방식으로 인쇄해 원통에 말아 보내 드립니다.",
        ],
    },
    Item {
        stem: "keyring",
        category: "collectibles",
        hs: "830810",
        grams: 30,
        eur_cents: 1100,
        option: COLOUR,
        values: &["Brass"],
        noun: ["Keyring", "Porte-clés", "钥匙扣", "キーホルダー", "키링"],
        made: [
            "Solid brass, stamped and numbered on the back.",
            "Laiton massif, frappé et numéroté au dos.",
            "实心黄铜冲压而成，背面刻有编号。",
            "真鍮の無垢材を打ち抜き、裏面に通し番号を刻印しています。",
            "통 황동을 찍어 만들고 뒷면에 일련번호를 새겼습니다.",
        ],
    },
];

/// (shop slug, city in the five languages, fallback language, properties it is licensed for)
pub const SHOPS: &[(&str, [&str; 5], &str, [&str; 3])] = &[
    (
        "hanok-threads",
        ["Seoul", "Séoul", "首尔", "ソウル", "서울"],
        "ko",
        ["pyeongchang-2018", "olympic-heritage", "kenya-ice-lions"],
    ),
    (
        "kumo-craft",
        ["Tokyo", "Tokyo", "东京", "東京", "도쿄"],
        "ja",
        ["olympic-heritage", "pyeongchang-2018", "amsterdam-1928"],
    ),
    (
        "jade-lantern",
        ["Hangzhou", "Hangzhou", "杭州", "杭州", "항저우"],
        "zh-Hans",
        ["olympic-heritage", "pyeongchang-2018", "team-kenya"],
    ),
    (
        "rocky-ridge",
        ["Denver", "Denver", "丹佛", "デンバー", "덴버"],
        "en",
        ["kenya-ice-lions", "olympic-heritage", "pyeongchang-2018"],
    ),
    (
        "thames-pin",
        ["London", "Londres", "伦敦", "ロンドン", "런던"],
        "en",
        ["amsterdam-1928", "olympic-heritage", "team-kenya"],
    ),
    (
        "atelier-chamonix",
        ["Chamonix", "Chamonix", "霞慕尼", "シャモニー", "샤모니"],
        "fr",
        ["olympic-heritage", "amsterdam-1928", "pyeongchang-2018"],
    ),
    (
        "savannah-stitch",
        ["Nairobi", "Nairobi", "内罗毕", "ナイロビ", "나이로비"],
        "en",
        ["team-kenya", "kenya-ice-lions", "olympic-heritage"],
    ),
    (
        "southern-cross",
        ["Melbourne", "Melbourne", "墨尔本", "メルボルン", "멜버른"],
        "en",
        ["olympic-heritage", "team-kenya", "amsterdam-1928"],
    ),
];
