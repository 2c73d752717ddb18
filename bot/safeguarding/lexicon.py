"""The crisis screen's lexicon: warning-sign phrases per category, and the words its guards read.

Each phrase is a regular expression over the normalised text (bot.crisis: NFKC, lower case,
traditional characters folded to simplified, gaps between characters and stretched letters
removed). Chinese phrases are written in simplified characters; English phrases are compiled
with re.ASCII, so that a word boundary also falls between a Latin letter and a Chinese character
("想unalive自己"). docs/crisis.md explains the categories and why each has its tier.

It stays one module over the size the code base aims for (issue 16) because it is one data table:
every phrase sits next to the guard that may drop it, and a reviewer checking a category, or a
counselor asking whether a spelling is caught, must see the phrases, their guards and the
traditional-character folding together. Split across files, a phrase and its guard drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

# The warning signs (docs/crisis.md): all but "distress" are urgent; "distress" is a concern.
Category = Literal[
    "ideation",
    "passive_wish",
    "plan",
    "self_harm",
    "overdose",
    "finality",
    "burden",
    "distress",
]
Language = Literal["zh", "en"]
# A guard that reads a phrase as an idiom, an accident or a stated reason: it gets the clause
# before the phrase, the clause after it, and the neighbouring clauses around it.
Guard = Callable[[str, str, str], bool]

# When one message shows several signs, the card names the gravest: acts already done first,
# then preparation, goodbyes, the active wish, the stated wish to be dead, then burden and no
# reason to live (a risk sign rather than a wish), and distress last.
SEVERITY: tuple[Category, ...] = (
    "overdose",
    "self_harm",
    "plan",
    "finality",
    "ideation",
    "passive_wish",
    "burden",
    "distress",
)


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    category: Category
    language: Language
    # The phrase names someone ("myself", "me") so the clause's subject cannot be someone else.
    self_named: bool = False
    guard: Guard | None = None
    # The phrase names someone else ("herself"): it counts only as a report about a peer.
    others_only: bool = False


def _zh(pattern: str, category: Category, guard: Guard | None = None) -> Pattern:
    return Pattern(_compile(pattern, 0), category, "zh", guard=guard)


def _en(
    pattern: str,
    category: Category,
    *,
    self_named: bool = False,
    guard: Guard | None = None,
    others_only: bool = False,
) -> Pattern:
    return Pattern(_compile(pattern, re.ASCII), category, "en", self_named, guard, others_only)


def _compile(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


# Traditional forms of the characters these phrases and their guards use (and of common words
# around them), as traditional/simplified pairs; characters shared by both scripts are absent.
TRADITIONAL_PAIRS = """
殺杀 殘残 傷伤 輕轻 結结 麼么 沒没 樓楼 藥药 飲饮 盡尽 斷断 覺觉 這这 個个 們们 會会
從从 給给 還还 見见 裡里 裏里 後后 讓让 離离 開开 尋寻 滅灭 亂乱 為为 種种 該该 氣气 樂乐
緒绪 厭厌 棄弃 難难 絕绝 義义 著着 燒烧 農农 軌轨 遺遗 書书 來来 壓压 夠够 願愿 無无 熱热
餓饿 嚇吓 煩烦 機机 電电 頭头 體体 說说 話话 時时 間间 實实 點点 題题 終终 幫帮 對对 學学
師师 媽妈 聽听 認认 識识 獨独 單单 憂忧 鬱郁 寧宁 戀恋 愛爱 報报 導导 視视 頻频 發发 現现
聞闻 劇剧 歲岁 將将 脫脱 爺爷 邊边 陽阳 臺台 層层 橋桥 顆颗 過过 於于 與与 應应 當当 嗎吗
謝谢 課课 網网 誰谁 讀读 寫写 處处 總总 鬧闹 極极 爛烂 廢废 親亲 錯错 節节 隨随 攢攒 劑剂
預预 講讲 臉脸 醫医 樣样 睏困 試试 準准 備备 慮虑 決决 險险 護护 請请 靜静 餘余 飯饭 貓猫
淚泪 壞坏 驚惊 罵骂 腦脑 撐撑 釋释 悶闷 許许 麗丽 慘惨 糾纠 紮扎 燙烫 勁劲 帶带 頂顶 戲戏
遊游 貼贴 價价 膩腻 憑凭 鬆松 幾几 嘗尝 門门 關关 專专 員员 習习 選选 錢钱 齊齐 啟启 斃毙
尷尴 丟丢 災灾 殞殒 線线 擔担 態态 狀状 掛挂 歡欢 術术 紀纪 錄录 繩绳 牆墙 屜屉 鎖锁 買买
東东 負负 顧顾 兒儿 號号 碼码 寵宠 筆笔 輩辈 別别 窩窝 裝装 嗚呜
傢家 蹤踪 囉啰 劃划 歸归 壽寿 萬万 惱恼 憐怜 紙纸 癒愈 蓋盖 陰阴
"""

# ---------------------------------------------------------------------------------------------
# Guards: idioms, accidents, games and farewells with their reason, each read from the clause
# before the phrase, the clause after it and the neighbouring clauses around it.

_ZH_SHAME = re.compile(r"尴尬|丢人|丢脸|社死|害羞|难为情")
# 热得想死, 作业多到想死: an everyday cause just before the wish makes it hyperbole.
_ZH_HYPERBOLE_BEFORE = re.compile(
    r"(?:(?:热|冷|饿|困|累|笑|烦|无聊|尴尬|气|吵|闷|晒|撑|辣|疼|痛)得|(?:多|热|累|难|无聊|饿|困|烦)到)$"
)
# 想死你们了, 想死火锅了: "miss someone or something terribly".
_ZH_MISSING = re.compile(r"^(?:你|您|(?!的)[^\s了算掉去吧啊呀呢好也就还不没]{1,10}(?:了|啦))")
_ZH_MISSING_AROUND = re.compile(r"想(?:你|您|大家|家|爸|妈|奶奶|爷爷|外婆|同学|学校)")
_ZH_TRIVIA = re.compile(r"无聊|作业|考试|网课|卷子|热|饿|困|吵|堵车|输了|哈哈|开玩笑|笑死")
_ZH_ACCIDENT = re.compile(r"不小心|意外|切菜|削|摔|磕|碰到|打球|做饭|蚊子|猫抓|狗咬")
_ZH_DEATH_HYPERBOLE = re.compile(r"(?:热|冷|饿|困|累|笑|烦|气|吓|忙|疼|痛|急|闷|难|无聊|丑|美)$")
# A lost game or a bad gacha pull, not a life: 原神抽卡又歪了，想死.
_ZH_GAME_LOSS = re.compile(r"抽卡|原神|王者|吃鸡|上分|掉分|又输了|又歪了")
_ZH_GAME = re.compile(r"游戏|吃鸡|王者|我的世界|副本|关卡|角色|和平精英|原神|皮肤")
# A farewell or a giveaway with its everyday reason stated is not finality.
_ZH_FAREWELL_REASON = re.compile(
    r"毕业|转学|搬家|解除隔离|解封|出院|回家|返校|复课|新的|旧的|旧手机|不合身|穿不下|小了|出国|"
    r"去外地|明天就|体温|病好了|退烧了|康复"
)
_EN_SHAME = re.compile(
    r"embarrass|cringe|awkward|humiliat|of (?:boredom|laughter|laughing|shame|hunger)|laughing"
)
_EN_ACCIDENT = re.compile(
    r"accident|by mistake|shaving|cooking|\bwhile\b|\bfell\b|slipped|tripped|playing|"
    r"\bpractice\b|training|\bpe\b|"
    r"\bon (?:a|the|some|my) (?:piece of )?(?:paper|glass|nail|knife|stove|pan|oven|fence|can|"
    r"edge|table|rock|iron)"
)
# "overdosed on chocolate": anything after "on" that is not a medicine or a possessive.
_EN_OVERDOSE_IDIOM = re.compile(
    r"^\s*on (?!(?:my|the|his|her|some|a lot of|all|purpose|pills|meds|medicine|medication|drugs|"
    r"sleeping|tablets|painkillers|paracetamol|tylenol|ibuprofen|insulin|xanax|antidep)\b)"
)
_EN_FAREWELL_REASON = re.compile(
    r"moving|move to|transfer|graduat|isolation ends|quarantine ends|released|going home|"
    r"back to school|tomorrow|next week|see you|vacation|holiday|homework|class|new one|"
    r"don't fit|doesn't fit|too small|fever"
)
_EN_GAME = re.compile(r"\bgame\b|minecraft|fortnite|roblox|\blevel\b|\bboss\b|elden")


def _zh_want_to_die_idiom(before: str, after: str, around: str) -> bool:
    return bool(
        _ZH_MISSING.match(after)
        or _ZH_SHAME.search(before)
        or _ZH_HYPERBOLE_BEFORE.search(before)
        or (after.startswith(("了", "啦")) and _ZH_MISSING_AROUND.search(around))
        # 无聊到爆，想死的心都有了哈哈: the stock phrase with an everyday cause.
        or (after.startswith("的心都有") and _ZH_TRIVIA.search(around))
        or _ZH_GAME_LOSS.search(around)
    )


def _zh_shame(before: str, after: str, around: str) -> bool:
    return bool(_ZH_SHAME.search(before))


def _zh_dead_already_idiom(before: str, after: str, around: str) -> bool:
    # 累死了算了 and friends describe the weather or homework, not the self.
    return bool(_ZH_DEATH_HYPERBOLE.search(before))


def _zh_accident(before: str, after: str, around: str) -> bool:
    return bool(_ZH_ACCIDENT.search(before) or _ZH_ACCIDENT.search(after))


def _zh_game(before: str, after: str, around: str) -> bool:
    return bool(_ZH_GAME.search(around))


def _zh_farewell(before: str, after: str, around: str) -> bool:
    return bool(_ZH_FAREWELL_REASON.search(around))


def _en_shame(before: str, after: str, around: str) -> bool:
    return bool(_EN_SHAME.search(before) or _EN_SHAME.search(after))


def _en_accident(before: str, after: str, around: str) -> bool:
    return bool(_EN_ACCIDENT.search(before) or _EN_ACCIDENT.search(after))


def _en_overdose_idiom(before: str, after: str, around: str) -> bool:
    return bool(_EN_OVERDOSE_IDIOM.match(after))


def _en_farewell(before: str, after: str, around: str) -> bool:
    return bool(_EN_FAREWELL_REASON.search(around))


def _en_game(before: str, after: str, around: str) -> bool:
    return bool(_EN_GAME.search(around))


# Inside one sentence: commas may separate the parts of a sign ("刀片我准备好了，今晚").
_S = r"[^。！？!?\n]"
# Inside one clause.
_C = r"[^，。！？,.!?;；\n]"
_MEANS_ZH = r"(?:绳子|绳|刀片|安眠药|农药|老鼠药|炭|煤气|🪢)"
_DRUG_ZH = r"(?:安眠药|药片|药丸|药|布洛芬|退烧药|降压药|感冒药|止痛药|扑热息痛|💊)"
_MANY_ZH = (
    r"(?:(?:一?整|一|半|好几|几|两|成)(?:瓶|盒|板|把|樽)|一大把|一大堆|一堆|好多|很多|全部|"
    r"(?:十几|几十|[二三四五六七八九]十多?|\d{2,}多?)(?:片|颗|粒))"
)
_DONE_ZH = r"(?:吃|吞|喝|服)(?:了|掉|下|光|咗)"

PATTERNS: tuple[Pattern, ...] = (
    # --- Chinese: overdose or poison already taken ---------------------------------------------
    _zh(
        rf"{_DONE_ZH}{_C}{{0,4}}{_MANY_ZH}{_C}{{0,6}}{_DRUG_ZH}|"
        rf"{_DRUG_ZH}{_C}{{0,6}}(?:都|全|全部)(?:吃|吞|喝)(?:了|掉|下|咗)|"
        rf"{_DRUG_ZH}{_S}{{0,4}}(?:吃|吞)(?:了|掉|下|咗){_MANY_ZH}|"
        r"(?:吃|吞|喝)(?:了|下|咗)(?:农药|消毒液|84|洗洁精|百草枯|敌敌畏|老鼠药|漂白水)|"
        r"过量服药|服药过量|药物过量|吞药|吞安眠药|吃药自杀|"
        rf"(?<![a-z])(?:take|took|ate)\s?了?{_C}{{0,4}}{_MANY_ZH}{_C}{{0,6}}(?:{_DRUG_ZH}|pills|meds)",
        "overdose",
    ),
    # --- Chinese: self-harm done, urged or hidden ----------------------------------------------
    _zh(
        r"自残|自伤|割腕|割(?:了)?(?:自己|手腕|手臂|胳膊|大腿)|"
        r"(?:划|扎|烫|刻|掐|抓)(?:了|伤|破)?(?:自己|手腕|手臂|胳膊|大腿)|伤害(?:我)?自己|"
        r"故意弄伤自己|(?:拿|用)头撞墙|(?:刀片|小刀|美工刀|刀|圆规|🔪)(?:又)?(?:划|割|刻|扎)(?:了|伤)?"
        r"(?:手(?!机)|自己|胳膊|手臂|手腕|大腿|腿)|"
        rf"(?:圆规|刀片|小刀|烟头|打火机){_C}{{0,6}}(?:刻|划|割|烫|扎)|"
        r"(?:又|忍不住|偷偷|再次)(?:割|划|烫|🔪)(?:了|伤)(?!草|麦|肉|线)|"
        r"(?:打|扇|掐|捶)(?:了)?自己(?!的?脸)|"
        r"(?:抓|划|割|撞)[^，。！？\n]{0,5}(?:出血|流血)|"
        r"(?:我)?自己(?:划|割|烫|抓)的|"
        r"(?:伤口|伤疤|疤痕|划痕|刀痕|疤)[^。！？\n]{0,12}(?:袖子|长袖|遮|藏|挡|不让)|"
        r"长袖[^。！？\n]{0,8}(?:遮|挡|藏|看出|看到|看见)|"
        r"(?:手腕|手臂|胳膊|腿)上(?:全|都)?是(?:划痕|伤口|疤|刀痕)|"
        r"(?:划|割|🔪)[^。！？\n]{0,8}🩸|"
        r"(?:又|想|忍不住)(?:zc|gw|sh)(?![a-z])|(?<![a-z])(?:zc|gw)了|"
        r"(?:又|还是|忍不住)\s?cut(?![a-z])",
        "self_harm",
        _zh_accident,
    ),
    # --- Chinese: a plan, a method, means or preparation ---------------------------------------
    _zh(
        r"跳楼(?!价|大甩卖|甩卖)|跳河|跳江|跳海|跳桥|跳湖|上吊|烧炭|喝农药|卧轨|"
        rf"(?:从|在){_C}{{0,6}}(?:楼顶|楼上|阳台|窗户|窗台|窗|天台|桥上|屋顶|顶楼)"
        rf"{_C}{{0,3}}跳(?:下|出|落)",
        "plan",
        _zh_game,
    ),
    _zh(
        r"(?:查|搜|百度|google|谷歌|问了)[^。！？\n]{0,12}"
        r"(?:怎么死|怎样死|死法|多少片|几片|几楼|多高|哪种农药|会死|不疼|不痛|无痛|致死|最快)|"
        r"(?:想|要|打算|准备|计划)(?:去)?(?:吃|吞|喝)(?:一|整|半|很多|好多|一大)?整?"
        rf"(?:瓶|把|盒|板|堆){_C}{{0,4}}{_DRUG_ZH}|"
        r"(?:天台|楼顶|顶楼|屋顶)[^。！？\n]{0,6}没锁|"
        r"(?:看好|找好|选好|想好)了?(?:的)?(?:天台|楼顶|楼层|方法|怎么结束)|决定好(?:了)?(?:日子|那天)|"
        rf"{_MEANS_ZH}[^。！？\n]{{0,10}}(?:准备好|藏(?:在|好|起来)|买好|备好|够了)|"
        rf"(?:准备好|藏好|买好|买了|备好)(?:了)?{_C}{{0,4}}{_MEANS_ZH}|"
        rf"{_DRUG_ZH}{_S}{{0,10}}(?:攒|存|藏)(?:起来|了|好)|(?:攒|存|藏)(?:了|起来)?{_S}{{0,8}}"
        rf"{_DRUG_ZH}|(?:一颗一颗|一片一片)地?(?:攒|存)|"
        r"[五六七八九十0-9]+(?:楼|层)[^。！？\n]{0,4}(?:够了|够高|应该够|能死|会死)|"
        r"站在(?:天台|楼顶|顶楼|屋顶|窗台|桥)(?:的)?(?:边|边上|边缘)|"
        r"在(?:楼顶|天台|屋顶|桥上|顶楼)(?:上)?[^。！？\n]{0,6}(?:不想下(?:去|来)|往下看|想跳)|"
        r"(?:江边|河边|海边|桥上|楼顶|天台)[^。！？\n]{0,6}不(?:会)?(?:再)?回来|"
        rf"知道{_C}{{0,8}}(?:农药|安眠药|老鼠药){_C}{{0,4}}(?:在哪|放在)|"
        r"(?:今晚|今天晚上|明天|这周末|周末)[^。！？\n]{0,4}[🔪🪢💊]|"
        r"(?:今晚|今天晚上|明天|这周末)[^。！？\n，,]{0,10}就结束(?![了后之])|"
        r"怎(?:么|样)(?:才能|才会|可以)?死(?![的了])|死法|几楼才|跳楼要几楼|"
        r"(?:想|要|打算|准备)(?:去)?(?:喝|吃)(?:农药|老鼠药|消毒液)",
        "plan",
    ),
    # --- Chinese: goodbyes and finality ---------------------------------------------------------
    _zh(
        r"遗书|遗言|绝笔|后事|永别|下辈子|来世再|告别信|"
        r"(?:以后|今后|往后|从此)(?:你们|大家|爸妈|老师|您)?(?:就)?(?:不用|不必|别|唔使)(?:再)?"
        r"(?:担心|操心|管|惦记|想)(?:我|他|她)(?!的|们)|(?:最喜欢|所有|全部)的?东西(?:都|全)?送(?:给|人)|"
        r"(?:送给|留给|送人|归你|发给你)[^。！？\n]{0,10}(?:用不着|用不上|不需要了|再也用不|归你了)|"
        r"以后(?:就)?归你了|(?:帮我|替我)照顾好?(?:我的)?(?:猫|狗|爸妈|妈妈|家人|弟弟|妹妹)|找个好人家|"
        r"最后一次(?:跟|和|给)?(?:你们|大家|您|你)?(?:说话|聊天|发消息|打卡)|最后一条(?:消息|信息)|"
        r"(?:跟|和|向)(?:你们|大家|所有人)(?:说)?(?:告别|再见|道别)|"
        r"替我(?:跟|和|对)[^。！？\n]{0,6}说(?:对不起|声对不起|我爱)|"
        r"等我(?:走了|不在了|死了|离开)|我走了以后|我走之后|在我走后|"
        r"(?:撑|坚持|走)到这里了?[^。！？\n]{0,6}(?:保重|再见|对不起)|"
        r"(?:再也|永远)(?:见不到|不会再见到?)我",
        "finality",
        _zh_farewell,
    ),
    # --- Chinese: the active wish ---------------------------------------------------------------
    _zh(
        r"自杀|自尽|轻生|寻短见|紫砂(?![壶锅杯陶泥茶])|自鲨|自\s?s(?:ha)?(?![a-z])|"
        r"(?<![a-z])zi\s?sha(?![a-z])|(?:想|要|去|准备|打算|会)\s?z\s?s(?![a-z])|(?<![a-z])zs(?:了|的)|"
        r"想(?:去)?鼠了|(?:杀|(?<![a-z])s)(?:了|死|掉)?(?:我)?自己|死咗佢|(?:让|叫)我去死|"
        r"了结(?:我?自己|生命|这条命|(?:这)?一切)|结束(?:我?自己的?|我的)?生命|结束自己|"
        r"结束(?:这)?一切|一了百了|一死了之|不如一死",
        "ideation",
    ),
    # --- Chinese: burden, entrapment, no reason to live ----------------------------------------
    _zh(
        r"(?:我|自己)(?:就|只|真|根本|觉得自己|感觉自己)?(?:就|只)?是[^。！？\n]{0,4}"
        r"(?:拖油瓶|累赘|负担|多余的)|我(?:的)?(?:活着|存在)(?:只会|就是|只是|本身就是)?"
        r"[^。！？\n]{0,4}(?:添麻烦|拖累|错误|负担)|拖累(?:了)?(?:全家|大家|家里|爸妈|所有人|你们)|"
        rf"(?:没有我|我消失了?|我死了|我不在了?){_C}{{0,6}}"
        r"(?:更好|好很多|好多了|轻松|开心|不用操心|不用担心|解脱)|"
        r"(?:我死了|我消失了?|我不在了?)[^。！？\n]{0,8}(?:没人会难过|没人在乎|没人会在意|也没人|"
        r"没人会发现)|(?:如果|要是|假如)我死了|我(?:要是|如果)死了|"
        r"不(?:该|配)活(?:着)?|留在(?:这个)?世(?:上|界上)?(?:干嘛|有什么用|干什么)|活着(?:干嘛|有什么用)|活着(?:还|又|到底)?有(?:什么|啥)(?:意思|意义)|"
        rf"活着{_C}{{0,6}}(?:没|冇|毫无|无)(?:有)?(?:什么|啥|咩)?(?:意思|意义|必要|盼头)|"
        rf"活着{_C}{{0,4}}(?:意义|意思){_C}{{0,2}}没(?:有)?|活着有(?:什么|啥)(?:意思|意义)|"
        r"人生(?:真|好)?(?:没(?:有)?|毫无)(?:意义)|"
        r"活不下去|撑不下去|不想(?:再)?撑下去|活下去(?:好|太|真)?难|"
        r"没有出路|看不到(?:任何)?出路|走投无路|无路可走|"
        r"活着\s?(?:no\s?point|pointless|meaningless)|是(?:个|一个)?\s?(?:a\s)?burden",
        "burden",
    ),
    # --- Chinese: the passive wish --------------------------------------------------------------
    _zh(
        r"不想(?:再|继续)?(?:活|huo)|(?:bu|唔)想(?:再)?(?:活|生存)|唔想再?醒|不愿(?:意)?(?:再)?活|"
        r"活够了|活腻了|不想(?:再)?存在|不想(?:再)?醒(?:来|过来)|"
        r"(?:再也|永远)(?:不|别)(?:想|要|会)?醒|一睡不醒|一觉睡过去|永远睡下去|长眠|"
        rf"(?:希望|但愿|想|要是){_C}{{0,10}}(?:不要|不会|别|再也不)(?:再)?醒|"
        r"醒不(?:过)?来(?:也|就)?(?:挺好|好了|算了|也行|最好)|(?:如果|要是)[^。！？\n]{0,6}醒不(?:过)?来|"
        r"(?:没(?:被)?(?:出)?生(?:下来|出来)?|没出生)(?:就好了|多好|该多好|就好)|"
        r"(?:当初)?(?:没|不该)生我|为什么要(?:把我)?生(?:下)?(?:我|来)|没(?:被)?生(?:出来|下来)|"
        r"(?:从来)?没(?:有)?存在过|"
        rf"(?:病|发烧|病毒|疫情|新冠|烧){_S}{{0,8}}(?:带走我|把我带走|带我走)|"
        rf"(?:意外|车祸|绝症){_S}{{0,6}}(?:就走了|走了算了|死掉|就好了)|走的是我|死的是我|"
        r"不用再活|死了(?:应该|大概|是不是)?就(?:不会|不用|解脱|轻松)|"
        r"我(?:要是|如果)?死了(?:就|也|的话|以后|之后)|"
        r"(?<![a-z])xiang\s?si(?![a-z])",
        "passive_wish",
    ),
    _zh(
        r"想(?:去)?死|想\s?(?:s[iǐí]|sǐ|s)(?![a-z])|要去死",
        "passive_wish",
        _zh_want_to_die_idiom,
    ),
    _zh(
        r"死(?:了|掉)(?:算了|就好了|好了|最好|就解脱|才好)|不如死(?:了|掉)|还不如死|"
        r"不如去死|去死(?:好了|算了)",
        "passive_wish",
        _zh_dead_already_idiom,
    ),
    _zh(
        r"从(?:这个)?世界(?:上)?消失|离开这个世界|不想待在这个世界",
        "passive_wish",
        _zh_shame,
    ),
    # --- Chinese: distress, for the counselor to read today ------------------------------------
    _zh(
        r"想(?:要)?(?:原地|永远)?消失|消失(?:算了|就好了|最好|几天)|人间蒸发|想\s?disappear|"
        r"绝望|没(?:有)?希望|(?:希望|意义)都没有|消失在人海|看不到(?:任何)?(?:希望|未来|尽头|头)|未来一片(?:黑|黑暗)|一片黑暗|"
        r"(?:我|自己|心态|情绪|精神)(?:快|要|都)?(?:要)?崩溃|撑不住|熬不下去|(?:熬|撑|坚持)多久|"
        r"没(?:有)?人(?:会)?(?:在乎|关心|想|理解|懂)我|被(?:全世界)?抛弃|"
        r"(?:讨厌|恨)(?:我)?自己|(?:我|自己)(?:就|真)?是(?:个)?废物|一点用都没有|什么都做不好|"
        r"人生[^。！？\n]{0,4}笑话|逃离这一切|再也不回来|"
        r"不想(?:再)?努力|怎么努力都没用|"
        r"每天都不想起床|什么都不想做|不想跟(?:任何)?人说话|心里(?:很|好)?空|心(?:很|好)空|"
        r"(?:每天|每晚|天天)(?:晚上)?(?:都)?(?:在)?哭|哭不出来|"
        r"(?:不知道)?活着(?:是)?为了什么|(?:墙|房间|世界)[^。！？\n]{0,6}往我身上压|永远出不去|"
        r"唔知点算|(?:好|很|超)\s?hopeless|depressed|被[^，。！？\n]{0,4}抛弃|"
        r"没(?:有)?人(?:会)?(?:懂|理解|在意|发现)|谁(?:都|也)(?:别|不要)(?:管|找)我|想(?:躲|逃)|躲起来|透明人|"
        r"(?:什么|啥)都没(?:意思|意义)|好失败|活得(?:好|很|太)?累|(?:我|自己)(?:好|真|很|太)?没用|最没用|冇用|"
        r"不会(?:再)?变好|只想一直睡|(?:永远|一直)都?不会结束|堵得慌|会不会有人在意|不想面对|累到不想|"
        r"想一个人待着",
        "distress",
        _zh_shame,
    ),
    # --- English: overdose or poison already taken ---------------------------------------------
    _en(
        r"\boverdosed\b|\bod'?(?:ed|d)\b|"
        r"\b(?:took|swallow(?:ed)?|downed|ate|popped)\s+(?:like\s+|about\s+|around\s+|maybe\s+)?"
        r"(?:(?:a\s+(?:lot|bunch|ton)\s+of\s+|all\s+(?:of\s+)?(?:my|the)\s+|"
        r"(?:a|the)\s+(?:whole\s+)?(?:bottle|box|handful|pack|packet|strip)\s+of\s+|"
        r"(?:\d{2,}|twenty|thirty|forty|fifty|a\s+hundred)\s+(?:of\s+)?(?:my\s+|the\s+)?)"
        r"(?:[\w']+\s+){0,2}?(?:pills|tablets|meds|medication|painkillers|panadol|paracetamol|"
        r"tylenol|advil|ibuprofen)\b|the\s+whole\s+(?:bottle|box|pack|packet)\b)|"
        r"\b(?:drank|swallowed|drunk)\s+(?:some\s+)?(?:bleach|poison|pesticide|antifreeze)\b",
        "overdose",
        guard=_en_overdose_idiom,
    ),
    # --- English: self-harm done, urged or hidden ----------------------------------------------
    _en(
        r"\bslit(?:ting)?\s+my\s+wrists?\b|"
        r"\b(?:cut|cutting|burn|burning|burned|burnt|harm|harming|scratch|scratching|hit|hitting|"
        r"punch\w*|slap\w*|starv\w*)\s*my\s*self\b|"
        r"\b(?:cut|cutting|scratch\w*|burn|burning|burned)\s+my\s+(?:wrists?|arms?|thighs?|legs?)\b|"
        r"\buntil\s+(?:it|they|i)\s+bleeds?\b|\bmake\s+myself\s+bleed\b|"
        r"\b(?:want|wanna|going|gonna|urges?|keep|kept|been|started|start|tried|try|trying|"
        r"thinking\s+(?:about|of)|thought\s+(?:about|of)|feel\s+like)\s+(?:to\s+)?"
        r"hurt(?:ing)?\s*my\s*self\b|\bhurt(?:ing)?\s*my\s*self\s+(?:on\s+purpose|again)\b|"
        r"\b(?:been|started|start|keep|kept|relapsed\s+(?:on|into))\s+cutting\b|\brelapsed\b|"
        r"\bcutting\s+again\b|(?:^|[.!?,]\s*|\bi\s+)cut\s+again\b|"
        r"\b(?:burn\w*|cut|hit|hurt|scratch\w*|punch\w*)\b[^.!?]{0,40}\bon\s+purpose\b|"
        r"\bmy\s+(?:cuts|scars|wounds)\b|\blong\s+sleeves\b[^.!?]{0,30}\b(?:cuts|scars|marks)\b|"
        r"\b(?:hide|hiding|cover\w*)\s+(?:my\s+|the\s+)?(?:cuts|scars|wounds)\b|"
        r"\b(?:razor|blade)s?\b[^.!?]{0,25}\bagain\b|\bagain\b[^.!?]{0,25}\b(?:razor|blade)s?\b|"
        r"\bsh'(?:ed|d)\b|\bsh\s+again\b|"
        r"\b(?:want|wanna|urge|urges|need)\s+to\s+cut\b(?!\s+(?:my\s+hair|class|the|it|down|out|in))|"
        r"\b(?:fresh|new|deep)\s+cuts\b|\bcuts?\s+on\s+my\s+(?:arms?|wrists?|thighs?|legs?)\b",
        "self_harm",
        self_named=True,
        guard=_en_accident,
    ),
    _en(r"\bself[\s-]*harm\w*", "self_harm", guard=_en_accident),
    _en(
        r"\b(?:cut|cuts|cutting|burn|burns|burning|harm|harms|harming|hurt|hurts|hurting)\s+"
        r"(?:him|her|them)sel(?:f|ves)\b|"
        r"\bcuts\s+(?:all\s+)?(?:over|on)\s+(?:his|her|their)\s+(?:arms?|wrists?|legs?|thighs?)\b",
        "self_harm",
        guard=_en_accident,
        others_only=True,
    ),
    # --- English: a plan, a method, means or preparation ---------------------------------------
    _en(
        r"\bjump(?:ing)?\s+(?:off|from)\s+(?:a|the|our|my|this)\s+(?:\w+\s+)?"
        r"(?:bridge|building|roof|rooftop|balcony|window|cliff)\b|"
        r"\bjump(?:ing)?\s+in\s+front\s+of\s+(?:a|the)\s+(?:train|car|bus|truck)\b|"
        r"\bhang(?:ing)?\s*my\s*self\b|\bnoose\b|"
        r"\bhow\s+many\s+(?:pills|tablets)\s+(?:it\s+takes|would|to\s+(?:die|kill|overdose|od))|"
        r"\b(?:painless|easiest|quickest|best)\s+ways?\s+to\s+(?:die|kill\s+myself|end\s+it)\b|"
        r"\bto\s+overdose\b|\b(?:plan|planning)\s+(?:to|on)\s+(?:overdos\w*|od)\b|"
        r"\b(?:saving|saved|stockpil\w*|hoard\w*|collecting)\s+(?:up\s+)?(?:(?:all\s+)?(?:my|his|her|their)\s+|some\s+)?"
        r"(?:pills|meds|tablets|sleeping\s+pills)\b|\b(?:pills|meds|tablets)\s+saved\b|"
        r"\b(?:picked|chose|chosen|set|decided\s+on)\s+(?:a|the)\s+(?:date|day)\b(?!\s+for)|"
        r"\b(?:floors?|stories|storeys)\s+(?:is|are|would\s+be|will\s+be)\s+(?:high\s+)?enough\b|"
        r"\bhigh\s+enough\s+to\s+(?:die|kill)\b|\bon\s+the\s+roof(?:top)?\s+(?:right\s+)?now\b|"
        r"\brope\b[^.!?]{0,30}\b(?:hid|hidden|ready|under\s+my\s+bed)\b|"
        r"\b(?:hid|hide|hiding|bought|got)\s+(?:a|the|some)\s+rope\b|"
        r"[\U0001faa2\U0001f52a\U0001f48a]\s*(?:is\s+)?ready\b|\bready\b[^.!?]{0,6}[\U0001faa2\U0001f52a]|"
        r"\btonight\b[^.!?]{0,6}[\U0001f48a\U0001f52a\U0001faa2]|"
        r"[\U0001f48a\U0001f52a\U0001faa2][^.!?]{0,12}\b(?:tonight|all\s+of\s+them)\b|"
        r"\bpoison\b[^.!?]{0,40}\b(?:drink|drinking|swallow\w*|take|taking)\s+it\b|"
        r"\b(?:drink|drinking|swallow|swallowing)\s+(?:the\s+)?(?:rat\s+)?(?:poison|bleach|pesticide)\b|"
        r"\b(?:how|when)\s+(?:and\s+(?:how|when)\s+)?i'?m\s+(?:going\s+to|gonna)\s+do\s+it\b|"
        r"\b(?:gonna|going\s+to|will)\s+(?:kill\s+myself|end\s+it|do\s+it)\s+(?:tonight|tomorrow|"
        r"this\s+weekend|on\s+\w+day)\b",
        "plan",
        guard=_en_game,
    ),
    _en(
        r"\b(?:poison|bleach|pesticide|pills)\b[^.!?]{0,40}\bi\s+(?:\w+\s+){0,3}"
        r"(?:drink|drinking|swallow\w*|take|taking)\s+(?:it|them)\b",
        "plan",
        self_named=True,
    ),
    # --- English: goodbyes and finality ---------------------------------------------------------
    _en(
        r"\b(?:won'?t|will\s+not|don'?t|wont)\s+(?:need|have)\s+to\s+worry\s+about\s+me\b|"
        r"\bmy\s+last\s+(?:message|text|goodbye)\b|\blast\s+check\s*-?\s*in\s+ever\b|"
        r"\bafter\s+i'?m\s+gone\b|\bwhen\s+i'?m\s+gone\b|"
        r"\btell\s+my\s+(?:mom|mum|dad|parents|family|sister|brother)\s+(?:i'?m\s+sorry|i\s+love)",
        "finality",
        self_named=True,
        guard=_en_farewell,
    ),
    _en(
        r"\b(?:won'?t|wont)\s+(?:be\s+)?need(?:ing)?\s+(?:it|them)\b|"
        r"\blast\s+(?:message|text|goodbye)\b|"
        r"\b(?:letters?|notes?)\s+(?:to|for)\s+everyone\b|"
        r"\bsuicide\s+note\b|\bgoodbye\s+(?:letter|note)s?\b|"
        r"\bthis\s+is\s+goodbye\b|\bsaying\s+(?:my\s+)?goodbyes?\b|"
        r"\bgoodbye\s+(?:forever|everyone|world|all)\b|"
        r"\b(?:logging|log|signing)\s+off\s+(?:for\s+good|forever)\b|"
        r"\b(?:won'?t|will\s+never|never)\s+(?:hear\s+from|see)\s+(?:me|him|her|them)\s+again\b|"
        r"\bgave\s+away\s+(?:all\s+)?(?:my|his|her)\s+(?:stuff|things)\b",
        "finality",
        guard=_en_farewell,
    ),
    # --- English: the active wish ---------------------------------------------------------------
    _en(
        r"\bkil+(?:ing|ed)?\s*(?:my\s*self|me\s*self)\b|\bkms\b|\bkys\b|"
        r"\bend(?:ing)?\s+my\s+(?:own\s+)?life\b|\btak(?:e|ing)\s+my\s+(?:own\s+)?life\b|"
        r"\bunaliv(?:e|ed|ing)\s*my\s*self\b",
        "ideation",
        self_named=True,
    ),
    _en(
        r"\b(?:kil+(?:s|ing|ed)?|hang(?:s|ing|ed)?|unaliv(?:e|es|ed|ing))\s+"
        r"(?:him|her|them)sel(?:f|ves)\b|\bend(?:ing)?\s+(?:his|her|their)\s+(?:own\s+)?life\b",
        "ideation",
        others_only=True,
    ),
    _en(
        r"\bs[u*][i*1]?[cs]{1,2}[i*1]?d(?:e|es|al|ial|ally)?\b|\bunaliv(?:e|ed|ing)\b|"
        r"\bsewer\s*slide\b|\bcommit(?:t?ing)?\s+(?:sudoku|die|self\s*delete|toaster\s+bath)\b|"
        r"\bend(?:ing)?\s+it\s+all\b|"
        r"\b(?:should|gonna|going\s+to|want\s+to|wanna|will|could)\s+(?:just\s+)?end\s+it\b"
        r"(?!\s+with)|\b(?:ready\s+for|time\s+for|want|wanna|about\s+to)\s+(?:the\s+)?game\s*end\b|"
        r"\bgame\s*end\s+irl\b|\b(?:want|wish)\s+(?:everything|it\s+all)\s+to\s+stop\b"
        r"[^.!?]{0,6}(?:\.\s*)?\bpermanently\b",
        "ideation",
    ),
    # --- English: burden, entrapment, no reason to live ----------------------------------------
    _en(
        r"\bbetter\s+off\s+without\s+me\b|\bhappier\s+without\s+me\b|"
        r"\bbetter\s+off\s+if\s+i\s+(?:was|were|wasn'?t|weren'?t)\s+(?:dead|gone|here|around)\b|"
        r"\b(?:nobody|no\s*one|no-one)\s+(?:would|will|'d)\s+(?:even\s+)?"
        r"(?:care|notice|miss\s+me)\s+if\s+i\b|"
        r"\b(?:nobody|no\s*one|no-one)\s+(?:would|will)\s+(?:even\s+)?miss\s+me\b|"
        r"\b(?:i'?m|i\s+am|i\s+feel\s+like)\s+(?:just\s+|such\s+)?a\s+(?:burden|waste\s+of\s+(?:space|air|oxygen))\b|"
        r"\bno\s+point\s+in\s+me\s+(?:being\s+alive|living|existing)\b|"
        r"\bno\s+way\s+out\s+(?:except|but)\b|\bonly\s+way\s+out\b|"
        r"\blife\s+(?:feels|is|seems)\s+(?:so\s+)?(?:pointless|meaningless|worthless)\b|"
        r"\b(?:don'?t|do\s+not)\s+deserve\s+to\s+(?:live|be\s+alive|exist)\b|"
        r"\b(?:don'?t|do\s+not|can'?t|cannot)\s+see\s+(?:a|any|the)\s+(?:reason|point)\s+"
        r"(?:to|in|of)\s+(?:liv\w*|keep\w*\s+(?:going|living)|go\w*\s+on|being\s+alive)\b|"
        r"\bcan'?t\s+(?:go\s+on|keep\s+going)\s+(?:living|anymore)\b|"
        r"\btired\s+of\s+(?:living|being\s+alive|life|existing)\b|"
        r"\b(?:i'?m|i\s+am)\s+(?:so\s+|just\s+)?done\s+with\s+(?:life|living|being\s+alive)\b|"
        r"\b(?:i'?m|i\s+am|i'?d\s+be|i\s+would\s+be)\s+better\s+off\s+dead\b|"
        r"\bcan'?t\s+keep\s+doing\s+this\b",
        "burden",
        self_named=True,
    ),
    _en(
        r"\bno\s+(?:reason|point)\s+(?:to|in|of)\s+(?:liv\w*|go\w*\s+on|keep\w*\s+(?:going|living)"
        r"|being\s+alive)\b|"
        r"\bwhat'?s\s+the\s+point\s+(?:of|in)\s+(?:living|life|being\s+alive|going\s+on)\b|"
        r"\blife\s+(?:isn'?t|is\s+not|ain'?t)\s+worth\s+living\b|"
        r"\bbetter\s+off\s+without\s+(?:him|her|them)\b",
        "burden",
    ),
    # --- English: the passive wish --------------------------------------------------------------
    _en(
        r"\bwish\s+i\s+(?:was|were|could\s+be)\s+(?:dead|never\s+born|gone)\b|"
        r"\bwish\s+i\s*(?:'d|had)?\s*(?:never|not)\s+been\s+born\b|"
        r"\bwish\s+i\s+(?:could\s+)?(?:just\s+)?die\b|"
        r"\bwish\s+i\s+(?:didn'?t|did\s+not)\s+exist\b|"
        r"\b(?:hope|wish|pray)\w*\s+(?:\w+\s+){0,3}?(?:that\s+)?i\s+(?:just\s+)?"
        r"(?:don'?t|never|do\s+not|won'?t|wont|will\s+not)\s+wake\s+up\b|"
        r"\b(?:don'?t|do\s+not|no\s+longer)\s+(?:really\s+)?(?:want\s+to|wanna)\s+(?:be\s+alive|exist|"
        r"wake\s+up|be\s+here\s+anymore|live(?!\s+(?:here|there|in|with|at|near|on|alone)\b))|"
        r"\bwant\s+to\s+not\s+(?:be\s+alive|exist|be\s+here)\b|"
        r"\b(?:want\s+to\s+)?(?:stop|quit)\s+(?:existing|being\s+alive)\b|\bwant\s+to\s+stop\s+living\b|"
        r"\b(?:virus|fever|illness|covid|sickness|disease|cancer)\s+(?:would\s+|could\s+|just\s+)*"
        r"(?:takes?|kills?|finish(?:es|ed)?)\s+me\b|"
        r"\bhopes?\s+i\s+(?:get\s+(?:really\s+)?sick\s+and\s+(?:it\s+ends|die)|don'?t\s+recover)\b",
        "passive_wish",
        self_named=True,
    ),
    _en(
        r"\b(?:want(?:s|ed|ing)?|needs?)\s*(?:to|2)\s*die\b|\bwann?a\s*die\b|\bwant\s+to\s+be\s+dead\b|"
        r"\bshould\s+(?:just\s+)?die\b|\bdeserve\s+to\s+die\b|"
        r"\bwish(?:es)?\s+(?:he|she|they)\s+(?:was|were|had)\s+never\s+(?:been\s+)?born\b|"
        r"\bsleep\s+(?:and|&)\s+(?:never|not)\s+wake\s+up\b|\b(?:a)?sleep\s+forever\b",
        "passive_wish",
        guard=_en_shame,
    ),
    # --- English: distress, for the counselor to read today ------------------------------------
    _en(
        r"\b(?:want|wanna|wish\s+i\s+could)\s+(?:to\s+)?(?:just\s+)?(?:disappear|vanish)\b|"
        r"\bhopeless\b|\bworthless\b|\bhate\s+myself\b|"
        r"\b(?:nobody|no\s*one)\s+(?:cares|gives\s+a\s+\w+)\s+about\s+me\b|"
        r"\bfeel\w*\s+(?:so\s+)?empty\b|\bcry(?:ing)?\s+every\s+(?:night|day)\b|"
        r"\bcan'?t\s+do\s+this\s+anymore\b|\bfalling\s+apart\b|\bfeel\s+like\s+i'?m\s+drowning\b|"
        r"\bwhat'?s\s+(?:even\s+)?the\s+point(?:\s+anymore)?\s*(?:$|[.?!\n])|"
        r"\bexhausted\b[^.!?]{0,30}\bnever\s+stops\b|\bno\s+end\s+to\s+it\b|\bfailure\s+at\s+everything\b|"
        r"\b(?:no\s*one|nobody)\s+would\s+(?:even\s+)?notice\s+if\s+i\b|\bbreaking\s+down\b|"
        r"\brun\s+away\s+and\s+never\s+come\s+back\b|\btired\s+of\s+(?:trying|everything)\b|"
        r"\b(?:don'?t|can'?t)\s+see\s+(?:the|a)\s+(?:point\s+of\s+anything|way\s+out)\b|"
        r"\beverything\s+(?:feels|is|seems)\s+pointless\b|\bdone\s+with\s+everything\b|"
        r"\bi'?m\s+not\s+o?k(?:ay)?\s*(?:$|[.!,\n]|\s+(?:at\s+all|really))|"
        r"\bnothing\s+(?:will|is)\s+ever\s+(?:going\s+to\s+)?get(?:ting)?\s+better\b|"
        r"\bdepressed\b|\beverything\s+is\s+(?:just\s+)?too\s+much\b|\bhow\s+much\s+longer\s+i\s+can\b|"
        r"\bno\s+hope\b|\bso\s+done\b|\bhate\s+my\s+life\b|\b(?:can'?t\s+stop|keep)\s+crying\b|"
        r"\b(?:so|all)\s+alone\b|\bfeel\s+alone\b|\btrapped\b|\bdon'?t\s+care\s+about\s+anything\b|"
        r"\bnever\s+(?:good\s+)?enough\b|\bwant\s+it\s+(?:all\s+)?to\s+(?:be\s+quiet|stop)\b|"
        r"\bwhy\s+i\s+(?:even\s+)?bother\b",
        "distress",
        guard=_en_shame,
    ),
)

# ---------------------------------------------------------------------------------------------
# Negation and the subject of the clause.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A negator followed only by auxiliaries before the phrase negates it (我不想死, 我没有想过
# 自杀, 我才不会伤害自己); 我受不了了想自杀 is not (了 ends the negated verb), nor is a question
# (要不要跳楼).
ZH_NEGATED = re.compile(
    r"(?:(?<![要是会想有能敢])不(?:会|要|是)?|(?<!有)没有?|别|未|从未|绝不|并不|才不)"
    r"(?:想|要|会|再|过|有|曾|曾经|真的|真|是|去|敢|打算|准备|考虑|愿意|觉得|认为|可能|其实|"
    r"得|的|的话|一点|有过)*$"
)
EN_NEGATORS = _words(
    "not never no don't dont doesn't doesnt didn't didnt won't wont wouldn't wouldnt isn't isnt"
    " aren't arent ain't aint nor"
)
EN_FILLERS = _words(
    "really ever even actually honestly seriously truly at all going gonna to want wanna wanted"
    " trying try tried plan planning intend be been feel feeling am have has had thinking think"
    " thought about of would will could just like do want wish"
)

# A person followed by 的 (妈妈的药, 他的话) names an owner, not the one who acts; a source
# (剧里的女主) still reports someone else.
ZH_SUBJECT = re.compile(
    r"我(?![们哥姐弟妹])|俺|本人|((?:他|她|它|佢|你|您|有人|别人|人家|某人|同学|朋友|好友|同桌|"
    r"室友|舍友|闺蜜|哥们|男生|女生|网友|邻居|明星|演员|主角|角色|人物|细胞|奶奶|爷爷|姥姥|姥爷|"
    r"外婆|外公|爸爸|妈妈|哥哥|姐姐|弟弟|妹妹|哥|姐|弟|妹|叔叔|阿姨)(?!的)|新闻|报道|电影|小说|书里|"
    r"剧里|故事|视频|(?<!在)网上|预防|防止|防|干预|讲座|如果发现|如何|识别|怎么帮)"
)
# Children their own age (and siblings) whom a student would report: the one kind of someone
# else whose wish counts, as a report. A pronoun counts when such a peer was named just before.
ZH_PEERS = _words(
    "同学 朋友 好友 同桌 室友 舍友 闺蜜 哥们 男生 女生 网友 哥哥 姐姐 弟弟 妹妹 哥 姐 弟 妹"
)
ZH_PRONOUNS = _words("他 她 佢")
ZH_SOURCES = _words(
    "新闻 报道 电影 小说 书里 剧里 故事 视频 网上 预防 防止 防 干预 讲座 明星 演员 主角 角色"
    " 人物 细胞 如果发现 如何 识别 怎么帮"
)
ZH_AFTER_TOPIC = re.compile(
    r"^的?(?:新闻|报道|视频|电影|案件|事件|预防|热线|干预|讲座|率|信号|知识|话题|案例)"
)
# "me" is left out: "my friend sent me a message: this is goodbye" is the friend speaking.
EN_FIRST = _words("i i'm im i've ive i'd i'll myself")
EN_PEERS = _words(
    "friend friends classmate classmates roommate roommates deskmate bestie bff buddy mate"
    " brother sister bro sis cousin"
)
EN_PRONOUNS = _words("he she they he's she's they're hes shes theyre")
EN_SOURCES = _words(
    "news movie film book show article video story documentary character characters celebrity"
    " singer actor learned learn lesson lessons essay project lore song awareness warning signs"
)
EN_THIRD = (
    _words(
        "him her them his their someone somebody people uncle aunt mom mum dad grandpa grandma"
        " guy girl boy man woman kid student cat dog you your you're youre"
    )
    | EN_PEERS
    | EN_PRONOUNS
    | EN_SOURCES
)
EN_AFTER_TOPIC = re.compile(
    r"^\s*(?:prevention|hotline|helpline|lifeline|awareness|squad|rates?|statistics)\b"
)
