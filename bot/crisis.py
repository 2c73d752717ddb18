"""Screening what a student types for crisis language, in Chinese and English.

Pure and deliberately lopsided: a miss can cost a life, a false alarm costs a counselor a message.
A hit needs a phrase that names the wish, the plan or the method (idioms that merely contain 死 or
"kill" never match), and is then dropped only for a reason that can be read off the same clause:
the wish itself is negated (我不想死, "I'd never kill myself"), someone else is its subject (news,
a book, 他), or a known hyperbole frames it (尴尬得想消失, "die of embarrassment"). A negated wish
to live (我不想活了, "I don't want to be alive") is itself the signal, never a negation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
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
About = Literal["self", "other"]
# "urgent": hotlines to the student at once and an urgent card; "concern": a counselor reads it
# the same day, with no hotline push.
Tier = Literal["urgent", "concern"]


@dataclass(frozen=True)
class CrisisHit:
    category: Category
    language: Language
    # "other": the student reports a friend, classmate or sibling, who may be in danger too.
    about: About = "self"
    # The words that matched, as the counselor should see them quoted on the card.
    span: str = field(default="", compare=False)

    @property
    def tier(self) -> Tier:
        return "concern" if self.category == "distress" else "urgent"


# Traditional forms of the characters these phrases and their guards use (and of common words
# around them), as traditional/simplified pairs; characters shared by both scripts are absent.
_TRADITIONAL_PAIRS = """
殺杀 殘残 傷伤 劃划 輕轻 結结 麼么 沒没 樓楼 藥药 飲饮 盡尽 斷断 覺觉 這这 個个 們们 會会
從从 給给 還还 見见 裡里 裏里 後后 讓让 離离 開开 尋寻 滅灭 亂乱 為为 種种 該该 氣气 樂乐
緒绪 厭厌 棄弃 難难 絕绝 義义 著着 燒烧 農农 軌轨 遺遗 書书 來来 壓压 夠够 願愿 無无 熱热
餓饿 嚇吓 煩烦 機机 電电 頭头 體体 說说 話话 時时 間间 實实 點点 題题 終终 幫帮 對对 學学
師师 媽妈 聽听 認认 識识 獨独 單单 憂忧 鬱郁 寧宁 戀恋 愛爱 報报 導导 視视 頻频 發发 現现
聞闻 劇剧 歲岁 將将 脫脱 爺爷 邊边 陽阳 臺台 層层 橋桥 顆颗 過过 於于 與与 應应 當当 嗎吗
謝谢 課课 網网 誰谁 讀读 寫写 處处 總总 鬧闹 極极 爛烂 廢废 親亲 錯错 節节 隨随 攢攒 劑剂
預预 講讲 臉脸 醫医 樣样 睏困 試试 準准 備备 慮虑 決决 險险 護护 請请 靜静 餘余 飯饭 貓猫
淚泪 壞坏 驚惊 罵骂 腦脑 撐撑 釋释 悶闷 許许 麗丽 慘惨 糾纠 紮扎 燙烫 勁劲 帶带 頂顶 戲戏
遊游 貼贴 價价 膩腻 憑凭 鬆松 幾几 嘗尝 門门 關关 專专 員员 習习 選选 錢钱 齊齐 啟启 斃毙
尷尴 丟丢 災灾 殞殒 線线 擔担 態态 狀状 掛挂 歡欢 術术 紀纪 錄录
"""
_TRADITIONAL = str.maketrans({pair[0]: pair[1] for pair in _TRADITIONAL_PAIRS.split()})

_HAN = r"\u3400-\u9fff"
_INVISIBLE = str.maketrans({"\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None})
# Spaces and decoration between two Chinese characters ("想 自 杀", "想…死") hide nothing.
_HAN_GAP = re.compile(rf"(?<=[{_HAN}])[ \t~*_\-.·・]+(?=[{_HAN}a-z])|(?<=[{_HAN}])[ \t]+")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")  # "dieeee", "啊啊啊": the letter once
_SPACES = re.compile(r"[ \t\xa0]+")
# A clause ends at punctuation or a line break; a full stop inside a number ("36.6") does not.
_CLAUSE_END = re.compile(r"[。！？!?；;，,、:：\n\r]|\.(?!\d)|(?<!\d)\.")
_WINDOW = 40

# Leetspeak and masking only inside words, so "want 2 die" and "吃了2片" keep their digits.
_LEET = str.maketrans("013457@$!", "oieastasi")
_LEET_CHAR = re.compile(r"(?<=[a-z])[013457@$!](?=[a-z])|(?<![a-z0-9])\$(?=[a-z])")
# Letters spelled out one by one: "k m s", "s.u.i.c.i.d.e".
_SPELLED = re.compile(r"(?<![a-z])[a-z](?:[ .\-_*][a-z](?![a-z])){2,}")


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    category: Category
    language: Language
    # The phrase names someone ("myself", "me") so the clause's subject cannot be someone else.
    self_named: bool = False
    # A phrase-specific reading as an idiom or accident, given the clause before and after it.
    idiom: Callable[[str, str], bool] | None = None
    # The phrase names someone else ("herself"): it counts only as a report about a peer.
    others_only: bool = False


def _zh(
    pattern: str, category: Category, idiom: Callable[[str, str], bool] | None = None
) -> _Pattern:
    return _Pattern(re.compile(pattern), category, "zh", idiom=idiom)


def _en(
    pattern: str,
    category: Category,
    *,
    self_named: bool = False,
    idiom: Callable[[str, str], bool] | None = None,
    others_only: bool = False,
) -> _Pattern:
    return _Pattern(re.compile(pattern), category, "en", self_named, idiom, others_only)


# ---------------------------------------------------------------------------------------------
# Idioms and accidents, each judged on the clause before the phrase and the clause after it.

_ZH_SHAME = re.compile(r"尴尬|丢人|丢脸|社死|害羞|难为情")
_ZH_HYPERBOLE_BEFORE_DE = re.compile(r"(?:热|冷|饿|困|累|笑|烦|无聊|尴尬|气|吵|闷|晒|撑)得$")
# 想死你们了, 想死火锅了: "miss someone or something terribly".
_ZH_MISSING = re.compile(r"^(?:你|您|[^\s了算掉的去吧啊呀呢好也就还不没]{1,6}(?:了|啦))")
_ZH_ACCIDENT = re.compile(r"不小心|意外|切菜|削|摔|磕|碰到|打球|做饭")
_ZH_DEATH_HYPERBOLE = re.compile(r"(?:热|冷|饿|困|累|笑|烦|气|吓|忙|疼|痛|急|闷|难|无聊|丑|美)$")
_EN_SHAME = re.compile(
    r"embarrass|cringe|awkward|humiliat|of (?:boredom|laughter|laughing|shame)|laughing"
)
_EN_ACCIDENT = re.compile(
    r"accident|by mistake|shaving|cooking|\bwhile\b|\bfell\b|slipped|tripped|"
    r"\bon (?:a|the|some|my) (?:piece of )?(?:paper|glass|nail|knife|stove|pan|oven|fence|can|"
    r"edge|table|rock|iron)"
)
# "overdosed on chocolate": anything after "on" that is not a medicine or a possessive.
_EN_OVERDOSE_IDIOM = re.compile(
    r"^\s*on (?!(?:my|the|his|her|some|a lot of|all|purpose|pills|meds|medicine|medication|drugs|"
    r"sleeping|tablets|painkillers|paracetamol|tylenol|ibuprofen|insulin|xanax|antidep)\b)"
)


def _zh_want_to_die_idiom(before: str, after: str) -> bool:
    return bool(
        _ZH_MISSING.match(after)
        or _ZH_SHAME.search(before)
        or _ZH_HYPERBOLE_BEFORE_DE.search(before)
    )


def _zh_shame(before: str, after: str) -> bool:
    return bool(_ZH_SHAME.search(before))


def _zh_dead_already_idiom(before: str, after: str) -> bool:
    # 累死了算了 and friends describe the weather or homework, not the self.
    return bool(_ZH_DEATH_HYPERBOLE.search(before))


def _zh_accident(before: str, after: str) -> bool:
    return bool(_ZH_ACCIDENT.search(before) or _ZH_ACCIDENT.search(after))


def _en_shame(before: str, after: str) -> bool:
    return bool(_EN_SHAME.search(before) or _EN_SHAME.search(after))


def _en_accident(before: str, after: str) -> bool:
    return bool(_EN_ACCIDENT.search(before) or _EN_ACCIDENT.search(after))


def _en_overdose_idiom(before: str, after: str) -> bool:
    return bool(_EN_OVERDOSE_IDIOM.match(after))


_NOT_PUNCT = r"[^，。！？,.!?;；\n]"

_PATTERNS: tuple[_Pattern, ...] = (
    # --- Chinese -------------------------------------------------------------------------------
    _zh(
        r"自杀|自尽|轻生|寻短见|紫砂(?![壶锅杯陶泥茶])|自\s?sha(?![a-z])|\bzi\s?sha\b", "ideation"
    ),
    _zh(
        r"了结(?:我?自己|生命|这条命)|结束(?:我?自己的?|我的)?生命|结束自己|结束(?:这)?一切|"
        r"一了百了|一死了之|不如一死|遗书|怎(?:么|样)(?:才能|才会|可以)?死(?![的了])|死法|"
        r"几楼才|跳楼要几楼",
        "ideation",
    ),
    _zh(
        r"跳楼(?!价|大甩卖|甩卖)|跳河|跳江|跳海|跳桥|跳湖|上吊|烧炭|喝农药|卧轨|"
        rf"(?:从|在){_NOT_PUNCT}{{0,6}}(?:楼顶|楼上|阳台|窗户|窗台|天台|桥上|屋顶)"
        rf"{_NOT_PUNCT}{{0,3}}跳(?:下|出)",
        "ideation",
    ),
    _zh(
        r"(?:吃|吞|喝)(?:了|掉|下)?(?:一|整|半|好几|几十|二十|三十|很多|好多|一大)?整?"
        rf"(?:瓶|把|盒|板|堆|大把){_NOT_PUNCT}{{0,4}}(?:安眠药|药)|"
        r"安眠药.{0,4}(?:吃|吞)(?:了|掉|下)?(?:一|整|半|好几|很多|好多|全)?整?(?:瓶|盒|把|板|堆|光)|"
        r"(?:药|药片|安眠药)(?:都|全|全部)(?:吃|吞)(?:了|掉|下|光)|"
        r"攒(?:了)?.{0,4}安眠药|一次(?:性)?(?:吃完|吞下|全吃)|过量服药|服药过量|药物过量|"
        r"吃药自杀|吞药|吞安眠药|"
        rf"药{_NOT_PUNCT}{{0,6}}偷偷(?:攒|存|藏)|偷偷(?:攒|存|藏){_NOT_PUNCT}{{0,4}}药",
        "overdose",
    ),
    _zh(
        r"自残|自伤|割腕|割(?:了)?(?:自己|手腕|手臂|胳膊|大腿)|"
        r"(?:划|扎|烫)(?:了|伤)?(?:自己|手腕|手臂|胳膊|大腿)|伤害(?:我)?自己|故意弄伤自己|"
        r"(?:拿|用)头撞墙|(?:刀片|小刀|美工刀)(?:又)?(?:划|割)(?:了|伤)?"
        r"(?:手(?!机)|自己|胳膊|手臂|手腕|大腿|腿)",
        "self_harm",
        _zh_accident,
    ),
    _zh(
        r"不想(?:再|继续)?活|活不下去|撑不下去|不想(?:再)?撑下去|(?:再也|永远)(?:不|别)(?:想|要|会)?醒|"
        r"一睡不醒|不愿(?:意)?(?:再)?活|活够了|活腻了|不想(?:再)?醒(?:来|过来)|"
        rf"(?:希望|但愿){_NOT_PUNCT}{{0,6}}(?:不要|不会|别|再也不)醒|不想(?:再)?存在|"
        r"不(?:该|配)活着|"
        r"活着(?:真|好|都|还|也|又|实在)?(?:没(?:有)?|有什么|有啥|毫无|无)(?:什么|啥)?"
        r"(?:意思|意义|必要|盼头|希望)|人生(?:真|好)?(?:没(?:有)?|毫无)(?:意义|希望)|"
        rf"(?:没有我|我消失了?|我死了|我不在了?){_NOT_PUNCT}{{0,6}}"
        r"(?:更好|轻松|没人在乎|没人会难过|没人会在意|也没人|没人会发现|不用操心|不用担心|解脱)|"
        r"我(?:要是|如果)?死了(?:就|也|的话|以后|之后)|(?:如果|要是|假如)我死了|我(?:要是|如果)死了|"
        # Feeling a burden is among the strongest warning signs, however it is phrased.
        r"(?:我|自己)(?:就|只)?是(?:个|一个)?(?:累赘|负担|多余的)",
        "passive_wish",
    ),
    _zh(r"想(?:去)?死|想\s?(?:s[iǐí]|sǐ)(?![a-z])|要去死", "passive_wish", _zh_want_to_die_idiom),
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
    _zh(r"想(?:要)?(?:永远)?消失|消失(?:算了|就好了|最好)", "distress", _zh_shame),
    # --- English -------------------------------------------------------------------------------
    _en(
        r"\bkil+(?:ing|ed)?\s*(?:my\s*self|me\s*self)\b|\bkms\b|\bkys\b|"
        r"\bend(?:ing)?\s+my\s+(?:own\s+)?life\b|\btak(?:e|ing)\s+my\s+(?:own\s+)?life\b|"
        r"\bhang(?:ing)?\s*my\s*self\b|\bunaliv(?:e|ed|ing)\s*my\s*self\b",
        "ideation",
        self_named=True,
    ),
    _en(
        r"\bs[u*][i*1]?[cs]{1,2}[i*1]?d(?:e|es|al|ial|ally)?\b|\bunaliv(?:e|ed|ing)\b|"
        r"\bsewer\s*slide\b|\bcommit(?:t?ing)?\s+sudoku\b|\bend(?:ing)?\s+it\s+all\b|"
        r"\bjump(?:ing)?\s+(?:off|from)\s+(?:a|the|our|my|this)\s+(?:\w+\s+)?"
        r"(?:bridge|building|roof|rooftop|balcony|window|cliff)\b|"
        r"\bjump(?:ing)?\s+in\s+front\s+of\s+(?:a|the)\s+(?:train|car|bus|truck)\b|"
        r"\b(?:should|gonna|going\s+to|want\s+to|wanna|will|could)\s+(?:just\s+)?end\s+it\b"
        r"(?!\s+with)|\bhow\s+many\s+(?:pills|tablets)\s+(?:it\s+takes|would|to\s+(?:die|kill))|"
        r"\b(?:painless|easiest|quickest|best)\s+way\s+to\s+die\b",
        "ideation",
    ),
    _en(
        r"\boverdos(?:e|ed|ing)\b|\bod'(?:ed|d)\b|"
        r"\b(?:took|take|taking|swallow(?:ed|ing)?|downed|ate)\s+(?:a\s+(?:lot|bunch|ton)\s+of\s+"
        r"|all\s+(?:of\s+)?(?:my|the)\s+|a\s+(?:whole\s+)?(?:bottle|box|handful|pack)\s+of\s+"
        r"|(?:\d{2,}|twenty|thirty|forty|fifty|a\s+hundred)\s+(?:of\s+)?(?:my\s+|the\s+)?)"
        r"(?:\w+\s+)?(?:pills|tablets|meds|medication|painkillers|panadol|paracetamol|tylenol)\b|"
        r"\b(?:saving|saved|stockpil\w*|hoard\w*|collecting)\s+(?:up\s+)?(?:my\s+|some\s+)?"
        r"(?:pills|meds|tablets|sleeping\s+pills)\b",
        "overdose",
        idiom=_en_overdose_idiom,
    ),
    _en(
        r"\bself[\s-]*harm\w*|\bslit(?:ting)?\s+my\s+wrists?\b|"
        r"\b(?:cut|cutting|burn|burning|harm|harming|scratch|scratching)\s*my\s*self\b|"
        r"\b(?:cut|cutting|scratch\w*|burn|burning)\s+my\s+(?:wrists?|arms?|thighs?|legs?)\b|"
        r"\buntil\s+(?:it|they|i)\s+bleeds?\b|\bmake\s+myself\s+bleed\b|"
        r"\b(?:want|wanna|going|gonna|urges?|keep|kept|been|started|start|tried|try|trying|"
        r"thinking\s+(?:about|of)|thought\s+(?:about|of)|feel\s+like)\s+(?:to\s+)?"
        r"hurt(?:ing)?\s*my\s*self\b|\bhurt(?:ing)?\s*my\s*self\s+on\s+purpose\b|"
        r"\b(?:been|started|start|keep|kept|relapsed\s+(?:on|into))\s+cutting\b|"
        r"\bcutting\s+again\b",
        "self_harm",
        self_named=True,
        idiom=_en_accident,
    ),
    _en(
        r"\bbetter\s+off\s+without\s+me\b|"
        r"\bbetter\s+off\s+if\s+i\s+(?:was|were|wasn'?t|weren'?t)\s+(?:dead|gone|here|around)\b|"
        r"\b(?:nobody|no\s*one|no-one)\s+(?:would|will|'d)\s+(?:even\s+)?"
        r"(?:care|notice|miss\s+me)\s+if\s+i\b|"
        r"\b(?:nobody|no\s*one|no-one)\s+(?:would|will)\s+(?:even\s+)?miss\s+me\b|"
        r"\b(?:i'?m|i\s+am|i'?d\s+be)\s+better\s+off\s+dead\b|"
        r"\bwish\s+i\s+(?:was|were|could\s+be)\s+(?:dead|never\s+born|gone)\b|"
        r"\bwish\s+i\s+(?:could\s+)?(?:just\s+)?die\b|"
        r"\bwish\s+i\s+(?:didn'?t|did\s+not)\s+exist\b|"
        r"\b(?:hope|wish)\s+i\s+(?:don'?t|never|do\s+not|won'?t)\s+wake\s+up\b|"
        r"\b(?:don'?t|do\s+not|no\s+longer)\s+(?:really\s+)?(?:want\s+to|wanna)\s+(?:be\s+alive|exist|"
        r"wake\s+up|be\s+here\s+anymore|live(?!\s+(?:here|there|in|with|at|near|on|alone)\b))|"
        r"\b(?:don'?t|do\s+not|can'?t|cannot)\s+see\s+(?:a|any|the)\s+(?:reason|point)\s+"
        r"(?:to|in|of)\s+(?:liv\w*|keep\w*\s+(?:going|living)|go\w*\s+on|being\s+alive)\b|"
        r"\bcan'?t\s+(?:go\s+on|keep\s+going)\s+(?:living|anymore)\b|"
        r"\btired\s+of\s+(?:living|being\s+alive|life|existing)\b|"
        r"\b(?:i'?m|i\s+am)\s+(?:just\s+|such\s+)?a\s+burden\b|"
        r"\b(?:stop|quit)\s+(?:existing|being\s+alive)\b|\bwant\s+to\s+stop\s+living\b|"
        r"\b(?:i'?m|i\s+am)\s+(?:so\s+|just\s+)?done\s+with\s+(?:life|living|being\s+alive)\b",
        "passive_wish",
        self_named=True,
    ),
    _en(
        r"\b(?:kil+(?:s|ing|ed)?|hang(?:s|ing|ed)?|unaliv(?:e|es|ed|ing))\s+"
        r"(?:him|her|them)sel(?:f|ves)\b",
        "ideation",
        others_only=True,
    ),
    _en(
        r"\b(?:cut|cuts|cutting|burn|burns|burning|harm|harms|harming|hurt|hurts|hurting)\s+"
        r"(?:him|her|them)sel(?:f|ves)\b",
        "self_harm",
        idiom=_en_accident,
        others_only=True,
    ),
    _en(
        r"\b(?:want(?:s|ed|ing)?|needs?)\s*(?:to|2)\s*die\b|\bwann?a\s*die\b|\bwant\s+to\s+be\s+dead\b|"
        r"\bshould\s+(?:just\s+)?die\b|\bdeserve\s+to\s+die\b|"
        r"\bno\s+(?:reason|point)\s+(?:to|in|of)\s+(?:liv\w*|go\w*\s+on|keep\w*\s+(?:going|living)"
        r"|being\s+alive)\b|"
        r"\bwhat'?s\s+the\s+point\s+(?:of|in)\s+(?:living|life|being\s+alive|going\s+on)\b|"
        r"\blife\s+(?:isn'?t|is\s+not|ain'?t)\s+worth\s+living\b|"
        r"\bsleep\s+(?:and|&)\s+never\s+wake\s+up\b|\bsleep\s+forever\b",
        "passive_wish",
        idiom=_en_shame,
    ),
    _en(
        r"\b(?:want|wanna|wish\s+i\s+could)\s+(?:to\s+)?(?:just\s+)?disappear\b",
        "distress",
        idiom=_en_shame,
    ),
)

# ---------------------------------------------------------------------------------------------
# Negation and the subject of the clause.


# A negator followed only by auxiliaries before the phrase negates it (我不想死, 我没有想过
# 自杀, 我才不会伤害自己); 我受不了了想自杀 is not (了 ends the negated verb), nor is a question
# (要不要跳楼).
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ZH_NEGATED = re.compile(
    r"(?:(?<![要是会想有能敢])不(?:会|要|是)?|(?<!有)没有?|别|未|从未|绝不|并不|才不)"
    r"(?:想|要|会|再|过|有|曾|曾经|真的|真|是|去|敢|打算|准备|考虑|愿意|觉得|认为|可能|其实|"
    r"得|的|的话|一点|有过)*$"
)
_EN_NEGATORS = _words(
    "not never no don't dont doesn't doesnt didn't didnt won't wont wouldn't wouldnt isn't isnt"
    " aren't arent ain't aint nor"
)
_EN_FILLERS = _words(
    "really ever even actually honestly seriously truly at all going gonna to want wanna wanted"
    " trying try tried plan planning intend be been feel feeling am have has had thinking think"
    " thought about of would will could just like do want wish"
)
_EN_TOKEN = re.compile(r"[a-z']+")

# A person followed by 的 (妈妈的药, 他的话) names an owner, not the one who acts; a source
# (剧里的女主) still reports someone else.
_ZH_SUBJECT = re.compile(
    r"我|俺|本人|((?:他|她|它|你|您|有人|别人|人家|某人|同学|朋友|好友|同桌|室友|舍友|闺蜜|哥们|"
    r"邻居|网友|明星|演员|主角|角色|人物|奶奶|爷爷|姥姥|姥爷|外婆|外公|爸爸|妈妈|哥哥|姐姐|弟弟|"
    r"妹妹|叔叔|阿姨)(?!的)|新闻|报道|电影|小说|书里|剧里|故事|视频|网上|预防|防止|防|干预|讲座)"
)
# Children their own age (and siblings) whom a student would report: the one kind of someone
# else whose wish counts, as a report. A pronoun counts when such a peer was named just before.
_ZH_PEERS = _words("同学 朋友 好友 同桌 室友 舍友 闺蜜 哥们 哥哥 姐姐 弟弟 妹妹")
_ZH_PRONOUNS = _words("他 她")
_ZH_SOURCES = _words(
    "新闻 报道 电影 小说 书里 剧里 故事 视频 网上 预防 防止 防 干预 讲座 明星 演员 主角 角色 人物"
    " 网友"
)
_ZH_PEER = re.compile("|".join(sorted(_ZH_PEERS, key=len, reverse=True)))
_ZH_AFTER_TOPIC = re.compile(r"^的?(?:新闻|报道|视频|电影|案件|事件|预防|热线|干预|讲座|率)")
_EN_FIRST = _words("i i'm im i've ive i'd i'll me myself")
_EN_PEERS = _words(
    "friend friends classmate classmates roommate roommates deskmate bestie bff buddy mate"
    " brother sister bro sis cousin"
)
_EN_PRONOUNS = _words("he she they he's she's they're hes shes theyre")
_EN_SOURCES = _words(
    "news movie film book show article video story documentary character characters celebrity"
    " singer actor"
)
_EN_THIRD = (
    _words(
        "him her them his their someone somebody people uncle aunt mom mum dad grandpa grandma"
        " guy girl boy man woman kid student cat dog you your you're youre"
    )
    | _EN_PEERS
    | _EN_PRONOUNS
    | _EN_SOURCES
)
_EN_AFTER_TOPIC = re.compile(
    r"^\s*(?:prevention|hotline|helpline|lifeline|awareness|squad|rates?|statistics)\b"
)
# How far back a pronoun looks for the peer it stands for ("我同桌昨天跟我说，她想死").
_PEER_WINDOW = 80


def screen_text(text: str) -> CrisisHit | None:
    """The first crisis phrase in the text that is not negated, reported about a stranger or a
    story, or an idiom; or None."""
    if not text:
        return None
    normal = _normalise(text)
    compact = _compact(normal)
    for pattern in _PATTERNS:
        views = (normal,) if pattern.language == "zh" or compact == normal else (normal, compact)
        for view in views:
            for match in pattern.regex.finditer(view):
                about = _about(pattern, view, match.start(), match.end())
                if about is not None:
                    return CrisisHit(pattern.category, pattern.language, about, span=match.group())
    return None


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_TRADITIONAL)
    folded = folded.translate(_INVISIBLE).replace("’", "'").replace("‘", "'")
    folded = _HAN_GAP.sub("", folded)
    folded = _REPEATS.sub(r"\1", folded)
    return _SPACES.sub(" ", folded)


def _compact(normal: str) -> str:
    unleet = _LEET_CHAR.sub(lambda m: m.group().translate(_LEET), normal)
    return _SPELLED.sub(lambda m: re.sub(r"[ .\-_]", "", m.group()), unleet)


def _about(pattern: _Pattern, text: str, start: int, end: int) -> About | None:
    """Whose wish the phrase at text[start:end] states, or None when it does not count."""
    before = _CLAUSE_END.split(text[max(0, start - _WINDOW) : start])[-1]
    after = _CLAUSE_END.split(text[end : end + _WINDOW])[0]
    earlier = text[max(0, start - _PEER_WINDOW) : start]
    if pattern.idiom is not None and pattern.idiom(before, after):
        return None
    if pattern.language == "zh":
        if _ZH_NEGATED.search(before) or _ZH_AFTER_TOPIC.match(after):
            return None
        about = _zh_subject(before, earlier)
    else:
        tokens = _EN_TOKEN.findall(before)
        if _en_negated(tokens):
            return None
        if pattern.self_named:
            return "self"
        if _EN_AFTER_TOPIC.match(after):
            return None
        about = _en_subject(tokens, _EN_TOKEN.findall(earlier))
    if pattern.others_only and about != "other":
        return None
    return about


def _zh_subject(before: str, earlier: str) -> About | None:
    # findall yields "" for the first person and the marker itself for anyone else.
    subjects = _ZH_SUBJECT.findall(before)
    if not subjects or subjects[-1] == "":
        return "self"
    if _ZH_SOURCES.intersection(subjects):
        return None
    last = subjects[-1]
    if last in _ZH_PEERS or (last in _ZH_PRONOUNS and _ZH_PEER.search(earlier)):
        return "other"
    return None


def _en_negated(tokens: list[str]) -> bool:
    for back, token in enumerate(reversed(tokens[-6:])):
        if token in _EN_NEGATORS:
            return True
        if token not in _EN_FILLERS or back >= 4:
            return False
    return False


def _en_subject(tokens: list[str], earlier: list[str]) -> About | None:
    if _EN_SOURCES.intersection(tokens):
        return None
    for token in reversed(tokens):
        if token in _EN_FIRST:
            return "self"
        if token in _EN_PEERS:
            return "other"
        if token in _EN_PRONOUNS:
            return "other" if _EN_PEERS.intersection(earlier) else None
        if token in _EN_THIRD:
            return None
    return "self"
