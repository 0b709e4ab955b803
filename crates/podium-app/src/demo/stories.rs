//! The demo's stories, in the five languages, drawn from the Games' spirit: a young team from
//! a country without ice, a sculler who let a family of ducks pass and still won, and the small
//! workshops behind the pins and tees. Written through the same use cases as the consoles (a
//! shop's story about a licensor's property approved by that licensor; one still waiting), and
//! the demo fan follows a team and a shop.

use podium_domain::role::OrgKind;
use podium_domain::story::StoryStatus;
use podium_domain::Lang;
use time::{Duration, OffsetDateTime};

use crate::stories::{self, Author, FollowKind, StoryDraft, StoryText};
use crate::{Store, StoreError};

struct Demo {
    author: &'static str,
    property: &'static str,
    /// Days ago it was written; it went live a day later (unless it waits for review).
    days_ago: i64,
    /// Published (after review, for a shop's story), or left waiting for the licensor.
    publish: bool,
    products: &'static [&'static str],
    /// (title, summary, body) in en, fr, zh-Hans, ja, ko.
    texts: [(&'static str, &'static str, &'static str); 5],
}

const STORIES: &[Demo] = &[
    Demo {
        author: "team-kenya",
        property: "kenya-ice-lions",
        days_ago: 21,
        publish: true,
        products: &[
            "savannah-stitch-kenya-ice-lions-roller-blades-tee",
            "hanok-threads-kenya-ice-lions-face-off-tee",
            "savannah-stitch-kenya-ice-lions-lion-crest-cap",
        ],
        texts: [
            (
                "Ice hockey, learnt on roller blades",
                "Nairobi has one rink and no winter. The Kenya Ice Lions learnt the game in a car park anyway.",
                "The first Kenya Ice Lions never saw a frozen lake. They learnt to skate on roller blades in a shopping-centre car park in Nairobi, passing a puck made of tape between parked cars at dawn, before the shoppers came.\n\n## One rink, one hour a week\n\nWhen a small rink opened in a hotel, the team was given one hour a week on real ice. Players who had only ever fallen on concrete found that ice forgives less and glides more. They trained anyway, in borrowed pads, and wrote to clubs abroad for sticks.\n\n## Dreaming of the Winter Games\n\nToday the Ice Lions coach children who have never seen snow. The roller-blade tee remembers the car park; the lion crest is the one the team sewed on its first jerseys. Every licensed piece sends a royalty back to the team's youth programme.",
            ),
            (
                "Le hockey sur glace, appris en rollers",
                "Nairobi n'a qu'une patinoire et pas d'hiver. Les Kenya Ice Lions ont appris le jeu sur un parking.",
                "Les premiers Kenya Ice Lions n'avaient jamais vu un lac gelé. Ils ont appris à patiner en rollers sur le parking d'un centre commercial de Nairobi, en se passant à l'aube un palet fait de ruban adhésif entre les voitures, avant l'arrivée des clients.\n\n## Une patinoire, une heure par semaine\n\nQuand une petite patinoire a ouvert dans un hôtel, l'équipe a obtenu une heure de vraie glace par semaine. Des joueurs qui n'étaient jamais tombés que sur du béton ont découvert une glace qui pardonne moins et glisse davantage. Ils se sont entraînés quand même, avec des protections prêtées, et ont écrit à des clubs étrangers pour obtenir des crosses.\n\n## Rêver des Jeux d'hiver\n\nAujourd'hui, les Ice Lions entraînent des enfants qui n'ont jamais vu la neige. Le tee-shirt aux rollers se souvient du parking ; l'écusson au lion est celui que l'équipe avait cousu sur ses premiers maillots. Chaque article sous licence reverse une redevance au programme jeunesse de l'équipe.",
            ),
            (
                "在轮滑鞋上学会的冰球",
                "内罗毕只有一块冰场，也没有冬天。肯尼亚冰狮队却在停车场里学会了冰球。",
                "最早的肯尼亚冰狮队队员从未见过结冰的湖面。他们在内罗毕一家购物中心的停车场里穿着轮滑鞋学滑行，天刚亮、顾客还没来时，就在停着的汽车之间传递用胶带缠成的球饼。\n\n## 一块冰场，每周一小时\n\n后来一家酒店开了一块小冰场，球队每周能在真正的冰面上练习一小时。只在水泥地上摔过跤的队员发现，冰面更滑，也更不留情。他们穿着借来的护具坚持训练，还写信向国外俱乐部求购球杆。\n\n## 梦想冬奥会\n\n如今，冰狮队在教从没见过雪的孩子们打球。轮滑图案的T恤纪念那片停车场；狮子队徽正是球队缝在第一批球衣上的那一枚。每一件授权商品都会把版税送回球队的青少年项目。",
            ),
            (
                "ローラーブレードで覚えたアイスホッケー",
                "ナイロビにはリンクが一つだけ、冬はありません。それでもケニア・アイスライオンズは駐車場で競技を覚えました。",
                "最初のケニア・アイスライオンズの選手たちは、凍った湖を見たことがありませんでした。ナイロビのショッピングセンターの駐車場でローラーブレードを履き、買い物客が来る前の夜明けに、テープを巻いて作ったパックを車のあいだでパスし合ったのです。\n\n## リンクは一つ、週に一時間\n\nホテルに小さなリンクができると、チームは週に一時間だけ本物の氷に乗れるようになりました。コンクリートでしか転んだことのない選手たちは、氷がよく滑り、容赦しないことを知りました。借り物の防具で練習を続け、海外のクラブに手紙を書いてスティックを譲ってもらいました。\n\n## 冬季大会を夢見て\n\nいまアイスライオンズは、雪を見たことのない子どもたちを教えています。ローラーブレードのTシャツはあの駐車場の記憶、ライオンの紋章はチームが最初のユニフォームに縫い付けたものです。ライセンス商品が一つ売れるたびに、ロイヤルティがチームのユース事業に届きます。",
            ),
            (
                "롤러블레이드로 배운 아이스하키",
                "나이로비에는 링크가 하나뿐이고 겨울도 없습니다. 그래도 케냐 아이스 라이언스는 주차장에서 하키를 배웠습니다.",
                "초창기 케냐 아이스 라이언스 선수들은 얼어붙은 호수를 본 적이 없었습니다. 나이로비의 한 쇼핑센터 주차장에서 롤러블레이드를 신고, 손님들이 오기 전 새벽마다 테이프를 감아 만든 퍽을 주차된 차 사이로 주고받았습니다.\n\n## 링크 하나, 일주일에 한 시간\n\n호텔에 작은 링크가 생기자 팀은 일주일에 한 시간 진짜 얼음 위에서 연습할 수 있게 되었습니다. 콘크리트 위에서만 넘어져 본 선수들은 얼음이 더 미끄럽고 덜 너그럽다는 것을 배웠습니다. 빌린 보호대를 차고 연습을 이어 갔고, 해외 클럽에 편지를 써서 스틱을 얻었습니다.\n\n## 동계 올림픽을 꿈꾸며\n\n지금 아이스 라이언스는 눈을 본 적 없는 아이들을 가르칩니다. 롤러블레이드 티셔츠는 그 주차장을, 사자 문장은 팀이 첫 유니폼에 직접 꿰매 단 엠블럼을 기억합니다. 라이선스 상품이 하나 팔릴 때마다 로열티가 팀의 유소년 프로그램으로 돌아갑니다.",
            ),
        ],
    },
    Demo {
        author: "amsterdam-1928",
        property: "amsterdam-1928",
        days_ago: 10,
        publish: true,
        products: &[
            "kumo-craft-amsterdam-1928-canal-house-cap",
            "kumo-craft-amsterdam-1928-art-deco-tee",
            "kumo-craft-amsterdam-1928-olympic-stadium-pin",
        ],
        texts: [
            (
                "The sculler who let the ducks pass",
                "Amsterdam, 1928: halfway through a race, a young Australian sculler stopped to let a family of ducks cross. He still won.",
                "In the quarter-final of the single sculls at the Amsterdam Games of 1928, Bobby Pearce was rowing well ahead when a mother duck and her ducklings swam out across his lane. He lifted his oars and waited until the last duckling had passed.\n\n## Behind, then ahead\n\nHis opponent drew level and went past. Pearce took up the stroke again, caught him, and won by several lengths. A few days later he won the final, and the Olympic title, in a record time.\n\n## Kindness and speed\n\nThe canal-house cap and the art-deco tee take their lines from the city of those Games. We tell the story because it says what the Games are for: you can stop for the ducks and still arrive first.",
            ),
            (
                "Le rameur qui laissa passer les canards",
                "Amsterdam, 1928 : en pleine course, un jeune rameur australien s'arrête pour laisser traverser une famille de canards. Il gagne quand même.",
                "En quart de finale du skiff aux Jeux d'Amsterdam de 1928, Bobby Pearce menait nettement lorsqu'une cane et ses canetons ont traversé son couloir. Il a levé ses avirons et attendu que le dernier caneton soit passé.\n\n## Derrière, puis devant\n\nSon adversaire l'a rejoint puis dépassé. Pearce a repris la cadence, l'a rattrapé et l'a emporté de plusieurs longueurs. Quelques jours plus tard, il remportait la finale et le titre olympique, en un temps record.\n\n## La bonté et la vitesse\n\nLa casquette aux maisons de canal et le tee-shirt Art déco empruntent leurs lignes à la ville de ces Jeux. Nous racontons cette histoire parce qu'elle dit à quoi servent les Jeux : on peut s'arrêter pour les canards et arriver premier.",
            ),
            (
                "为鸭子让路的赛艇手",
                "1928年阿姆斯特丹：比赛进行到一半，一位年轻的澳大利亚赛艇手停下来，让一群鸭子先过。他依然赢了。",
                "1928年阿姆斯特丹奥运会单人双桨四分之一决赛中，鲍比·皮尔斯遥遥领先，这时一只母鸭带着小鸭游进了他的航道。他抬起双桨，一直等到最后一只小鸭游过去。\n\n## 先落后，再领先\n\n对手追了上来，并超过了他。皮尔斯重新划起，追上对手，最终领先好几个船身获胜。几天后，他以创纪录的成绩赢得决赛和奥运冠军。\n\n## 善良与速度\n\n运河房屋图案的棒球帽和装饰艺术风格的T恤，线条都取自那届奥运会的举办城市。我们讲这个故事，是因为它道出了奥运的意义：你可以为鸭子停下，依然第一个到达。",
            ),
            (
                "カモに道を譲ったスカル選手",
                "1928年アムステルダム。レースの途中、オーストラリアの若いスカル選手はカモの親子を先に通しました。それでも彼は勝ちました。",
                "1928年アムステルダム大会のシングルスカル準々決勝。大きくリードしていたボビー・ピアースのレーンを、母ガモとひなたちが横切りました。彼はオールを上げ、最後のひなが通り過ぎるまで待ちました。\n\n## いったん後ろに、そして前へ\n\n相手は追いつき、彼を抜いていきました。ピアースは再び漕ぎ出して追いつき、数艇身差で勝ちました。数日後には決勝を制し、大会記録でオリンピック王者になりました。\n\n## やさしさと速さ\n\n運河の家並みのキャップとアール・デコのTシャツは、あの大会の街から線を借りています。この話を伝えるのは、大会が何のためにあるかを語っているからです。カモのために止まっても、一番にゴールできるのです。",
            ),
            (
                "오리에게 길을 내준 조정 선수",
                "1928년 암스테르담, 경기 도중 한 호주 청년 선수가 오리 가족이 지나가도록 멈췄습니다. 그리고도 이겼습니다.",
                "1928년 암스테르담 올림픽 싱글 스컬 준준결승에서 크게 앞서 가던 보비 피어스의 레인으로 어미 오리와 새끼들이 헤엄쳐 들어왔습니다. 그는 노를 들어 올리고 마지막 새끼 오리가 지나갈 때까지 기다렸습니다.\n\n## 뒤처졌다가 다시 앞으로\n\n상대 선수가 따라잡더니 그를 앞질렀습니다. 피어스는 다시 노를 저어 상대를 따라잡았고 몇 정신 차이로 이겼습니다. 며칠 뒤 그는 대회 신기록으로 결승에서 우승해 올림픽 챔피언이 되었습니다.\n\n## 친절함과 빠름\n\n운하 집 모자와 아르데코 티셔츠는 그 대회가 열린 도시에서 선을 빌려 왔습니다. 이 이야기를 전하는 까닭은 올림픽이 무엇을 위해 있는지 말해 주기 때문입니다. 오리를 위해 멈추고도 가장 먼저 도착할 수 있습니다.",
            ),
        ],
    },
    Demo {
        author: "thames-pin",
        property: "olympic-heritage",
        days_ago: 6,
        publish: true,
        products: &[
            "thames-pin-olympic-heritage-torch-relay-pin",
            "thames-pin-olympic-heritage-laurel-cap",
            "thames-pin-olympic-heritage-vintage-poster-tee",
        ],
        texts: [
            (
                "Forty pins a day, by hand",
                "Two people, one enamel kiln under a railway arch in London, and the torch relay in miniature.",
                "Thames Pin is two people and one kiln, under a railway arch in south London. Every pin starts as a brass blank, is struck, filled with coloured enamel by hand, fired, and polished until the flame of the torch relay catches the light.\n\n## Why so slowly\n\nForty pins is a good day. A machine would make thousands, but the colours would sit flat. Filled by hand, the enamel is a little thicker at the heart of the flame, which is where a relay torch burns brightest.\n\n## Licensed, and proud of it\n\nEach pin carries its own authenticity code from the licensor, so whoever receives one can check it is the real thing.",
            ),
            (
                "Quarante pin's par jour, à la main",
                "Deux personnes, un four à émail sous une arche de chemin de fer à Londres, et le relais de la flamme en miniature.",
                "Thames Pin, c'est deux personnes et un four, sous une arche de chemin de fer du sud de Londres. Chaque pin's commence par une plaque de laiton, frappée, garnie à la main d'émail coloré, cuite, puis polie jusqu'à ce que la flamme du relais accroche la lumière.\n\n## Pourquoi si lentement\n\nQuarante pin's, c'est une bonne journée. Une machine en ferait des milliers, mais les couleurs resteraient plates. Posé à la main, l'émail est un peu plus épais au cœur de la flamme, là où une torche brûle le plus fort.\n\n## Sous licence, et fiers de l'être\n\nChaque pin's porte son propre code d'authenticité délivré par l'ayant droit : qui le reçoit peut vérifier qu'il est authentique.",
            ),
            (
                "每天四十枚，全凭手工",
                "两个人，伦敦铁路桥洞下的一座珐琅窑，和一支微缩的火炬接力。",
                "Thames Pin 只有两个人和一座窑，就在伦敦南部的一个铁路桥洞下。每一枚徽章都从一块黄铜坯开始：冲压成形，手工填入彩色珐琅，入窑烧制，再抛光，直到火炬接力的火焰能映出光来。\n\n## 为什么这么慢\n\n一天做四十枚就算不错了。机器能做成千上万枚，但颜色会显得呆板。手工填的珐琅在火焰中心稍厚一些，那正是火炬燃得最旺的地方。\n\n## 正版授权，引以为豪\n\n每枚徽章都带有版权方发放的专属防伪码，收到的人可以自行验证真伪。",
            ),
            (
                "一日四十個、すべて手作業で",
                "二人の職人と、ロンドンの鉄道高架下にある琺瑯の窯。そして小さな聖火リレー。",
                "Thames Pin は、ロンドン南部の鉄道高架下にある二人と一つの窯の工房です。ピンはどれも真鍮の板から始まり、打ち抜かれ、色とりどりの琺瑯を手で詰め、焼成し、聖火リレーの炎が光を受けて輝くまで磨かれます。\n\n## なぜゆっくり作るのか\n\n一日四十個なら上出来です。機械なら何千個も作れますが、色が平板になります。手で詰めた琺瑯は炎の芯の部分が少しだけ厚くなり、そこはまさにトーチが最も明るく燃える場所です。\n\n## 正規ライセンス品であることの誇り\n\nピンには一つずつ、権利者が発行する真正性コードが付いています。受け取った人は本物かどうかを確かめられます。",
            ),
            (
                "하루 마흔 개, 모두 손으로",
                "두 사람, 런던 철길 아치 아래의 법랑 가마 하나, 그리고 작은 성화 봉송.",
                "Thames Pin은 런던 남부 철길 아치 아래에서 두 사람이 가마 하나로 꾸리는 공방입니다. 모든 핀은 황동 판에서 시작해 찍어 내고, 색 법랑을 손으로 채우고, 가마에 굽고, 성화 봉송의 불꽃이 빛을 받아 반짝일 때까지 닦아 냅니다.\n\n## 왜 이렇게 천천히\n\n하루 마흔 개면 잘한 날입니다. 기계라면 수천 개를 만들겠지만 색이 밋밋해집니다. 손으로 채운 법랑은 불꽃 한가운데가 조금 더 두꺼운데, 그곳이 바로 성화가 가장 밝게 타는 자리입니다.\n\n## 정식 라이선스 상품이라는 자부심\n\n핀마다 권리자가 발급한 고유 정품 인증 코드가 붙어 있어, 받는 사람이 직접 진품인지 확인할 수 있습니다.",
            ),
        ],
    },
    Demo {
        author: "hanok-threads",
        property: "kenya-ice-lions",
        days_ago: 1,
        publish: false,
        products: &["hanok-threads-kenya-ice-lions-face-off-tee", "hanok-threads-kenya-ice-lions-roller-blades-cap"],
        texts: [
            (
                "A Seoul workshop sews for Nairobi's ice",
                "How a hanok sewing room came to make the Kenya Ice Lions' face-off tee.",
                "Our workshop sits in a hanok in Seoul, where we have sewn cotton for twenty years. When we read about a hockey team that learnt on roller blades, we wrote to Nairobi the same day.\n\n## The face-off tee\n\nThe tee is cut from heavy cotton that keeps its shape after many washes, because the Ice Lions' supporters wear their shirts to every game. The lion is printed by hand, one colour at a time.",
            ),
            (
                "Un atelier de Séoul coud pour la glace de Nairobi",
                "Comment un atelier de couture dans un hanok en est venu à faire le tee-shirt « face-off » des Kenya Ice Lions.",
                "Notre atelier se trouve dans un hanok à Séoul, où nous cousons le coton depuis vingt ans. En lisant l'histoire d'une équipe de hockey qui avait appris en rollers, nous avons écrit à Nairobi le jour même.\n\n## Le tee-shirt face-off\n\nIl est coupé dans un coton épais qui garde sa forme lavage après lavage, car les supporters des Ice Lions portent leur maillot à chaque match. Le lion est imprimé à la main, une couleur après l'autre.",
            ),
            (
                "首尔的作坊为内罗毕的冰场缝衣",
                "一间韩屋里的缝纫作坊，如何做起了肯尼亚冰狮队的开球T恤。",
                "我们的作坊在首尔的一座韩屋里，做棉布缝纫已有二十年。读到一支在轮滑鞋上学会冰球的球队时，我们当天就给内罗毕写了信。\n\n## 开球T恤\n\n这件T恤选用厚实的棉布，多次洗涤也不变形，因为冰狮队的球迷每场比赛都穿着它。狮子图案是手工印制的，一次印一种颜色。",
            ),
            (
                "ソウルの工房がナイロビの氷のために縫う",
                "韓屋の縫製工房が、ケニア・アイスライオンズのフェイスオフTシャツを作るようになったわけ。",
                "私たちの工房はソウルの韓屋にあり、二十年にわたって綿を縫ってきました。ローラーブレードで競技を覚えたホッケーチームの話を読んだその日に、ナイロビへ手紙を書きました。\n\n## フェイスオフTシャツ\n\n何度洗っても形が崩れない厚手の綿で仕立てています。アイスライオンズのサポーターは試合のたびにこのシャツを着るからです。ライオンは一色ずつ手で刷っています。",
            ),
            (
                "서울의 공방이 나이로비의 얼음을 위해 바느질합니다",
                "한옥 바느질 공방이 케냐 아이스 라이언스의 페이스오프 티셔츠를 만들게 된 이야기.",
                "저희 공방은 서울의 한옥에 있고, 이십 년 동안 면을 바느질해 왔습니다. 롤러블레이드로 하키를 배운 팀의 이야기를 읽은 날, 바로 나이로비에 편지를 썼습니다.\n\n## 페이스오프 티셔츠\n\n여러 번 빨아도 모양이 변하지 않는 두꺼운 면으로 재단합니다. 아이스 라이언스 서포터들은 경기마다 이 셔츠를 입기 때문입니다. 사자 그림은 한 번에 한 색씩 손으로 찍어 냅니다.",
            ),
        ],
    },
];

/// Writes the demo's stories and the demo fan's follows; returns how many stories.
pub async fn seed(store: &dyn Store, now: OffsetDateTime) -> Result<usize, StoreError> {
    let properties = store.properties().await?;
    let mut written = 0;
    for d in STORIES {
        let Some(author) = store.org_by_slug(d.author).await? else { continue };
        let Some(property) = properties.iter().find(|p| p.slug == d.property) else { continue };
        let mut product_ids = Vec::new();
        for slug in d.products {
            if let Some(p) = store.product_by_slug(slug).await? {
                product_ids.push(p.id);
            }
        }
        let texts = Lang::ALL
            .iter()
            .zip(d.texts.iter())
            .map(|(lang, (title, summary, body))| StoryText {
                lang: *lang,
                title: (*title).into(),
                summary: (*summary).into(),
                body: (*body).into(),
            })
            .collect();
        let draft = StoryDraft {
            property_id: Some(property.id.clone()),
            video_url: String::new(),
            cover: String::new(),
            texts,
            product_ids,
        };
        let who = Author { org_id: author.id.clone(), kind: author.kind };
        let written_at = now - Duration::days(d.days_ago);
        let s = stories::create(store, &who, draft, written_at)
            .await
            .map_err(|e| StoreError::Backend(format!("demo story {}: {e}", d.author)))?;
        let live_at = written_at + Duration::hours(20);
        let to = stories::publish(store, &who, &s.id, if d.publish { live_at } else { written_at })
            .await
            .map_err(|e| StoreError::Backend(format!("demo story {}: {e}", d.author)))?;
        if to == StoryStatus::InReview && d.publish && author.kind == OrgKind::Shop {
            stories::review(store, &property.licensor_id, &s.id, true, "", live_at)
                .await
                .map_err(|e| StoreError::Backend(format!("demo story review: {e}")))?;
        }
        written += 1;
    }
    if let Some(fan) = store.user_by_email("fan@podium.example").await? {
        if let Some(p) = properties.iter().find(|p| p.slug == "kenya-ice-lions") {
            store.follow(&fan.id, FollowKind::Property, &p.id, now - Duration::days(30)).await?;
        }
        if let Some(shop) = store.org_by_slug("thames-pin").await? {
            store.follow(&fan.id, FollowKind::Shop, &shop.id, now - Duration::days(30)).await?;
        }
    }
    Ok(written)
}
