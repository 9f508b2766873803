"""The clinical lexicon the rules read: phrases, the signal each stands for, and context cues.

The signals follow the constructs of the Columbia Suicide Severity Rating Scale (Posner et al.
2011, Am J Psychiatry 168:1266-1277): wish to be dead and suicidal thoughts (ideation), method
(means), intent, plan, preparatory behaviour, actual attempt; plus self-harm and the
interpersonal-theory constructs hopelessness and perceived burdensomeness. The phrases are
everyday English written for this project; they are cues for a clinician to check, not a
validated instrument. Bump ``RULES_VERSION`` whenever anything here changes.
"""

from __future__ import annotations

from typing import Final, Literal, NamedTuple

from alongside.risk.reading import Signal

# rules-2026.5: a text with words in no English word list is read a second time with their
# spelling put right (risk/spelling.py), and the higher reading kept.
RULES_VERSION: Final = "rules-2026.5"

# How a phrase refers to its subject: "self" phrases name the writer themselves ("kill myself",
# "my life"), so a third person or a media context cannot explain them away; "open" phrases
# ("wants to die", "suicide") need the context to tell whose they are.
Reference = Literal["self", "open"]


class Phrase(NamedTuple):
    """One lexicon entry: a regular expression, its signal and how it refers to its subject."""

    pattern: str
    signal: Signal
    reference: Reference


_ME = r"(?:my\s*self|myself|meself)"
_PILLS = (
    r"(?:(?:sleeping\s+|sleep\s+|blood\s+pressure\s+|heart\s+)?(?:pills|tablets)|meds|"
    r"medications?|medicines?|painkillers|paracetamol|tylenol|acetaminophen|ibuprofen|aspirin|"
    r"co-?codamol|codeine|anti-?depressants|sertraline|citalopram|fluoxetine|amitriptyline|"
    r"mirtazapine|lithium|diazepam|zopiclone|oxycodone|opioids|insulin|prescriptions?)"
)
_GUN = r"(?:guns?|pistol|rifle|shotgun|firearm|revolver|handgun)"
# After "woke up": a complaint about the hour ("woke up late", "so early"), not about waking.
_NOT_A_TIME = (
    r"(?!\s+(?:so\s+|too\s+|really\s+|very\s+)?(?:early|late|at\s+\d|before|in\s+time|on\s+time|"
    r"with\s+a|in\s+a\s+(?:panic|sweat)|feeling\s+(?:sick|ill)))"
)

PHRASES: Final[tuple[Phrase, ...]] = (
    # ideation: wish to be dead, thoughts of killing oneself
    Phrase(
        rf"\b(?:kill(?:ing)?|end(?:ing)?|off(?:ing)?|hang(?:ing)?|shoot(?:ing)?)\s+{_ME}",
        "ideation",
        "self",
    ),
    Phrase(r"\bunalive\s+(?:my\s*self|myself)\b", "ideation", "self"),
    Phrase(r"\b(?:end|ending|take|taking)\s+my\s+(?:own\s+)?life\b", "ideation", "self"),
    Phrase(r"\bend(?:ing)?\s+it\s+all\b", "ideation", "open"),
    Phrase(
        r"\b(?:want|wanna|wants|wanted|wanting|wish|wished|going)\s+(?:to\s+)?(?:just\s+)?die\b",
        "ideation",
        "open",
    ),
    Phrase(
        r"\bwish(?:es|ed)?\s+(?:i|he|she|they)\s+(?:was|were|had\s+been)\s+(?:dead|never\s+born)\b",
        "ideation",
        "open",
    ),
    Phrase(
        r"\bwish(?:es|ed|ing)?\s+i\s+could\s+(?:just\s+)?(?:die|disappear\s+(?:forever|for\s+good)|not\s+exist)\b",
        "ideation",
        "self",
    ),
    Phrase(r"\b(?:better\s+off|be\s+better)\s+dead\b", "ideation", "open"),
    Phrase(
        r"\b(?:better\s+off|happier|easier)\s+if\s+i\s+(?:was|were|wasn'?t|weren'?t|died|"
        r"disappeared|was\s+gone|were\s+gone)\b",
        "ideation",
        "self",
    ),
    Phrase(
        r"\b(?:don'?t|do\s+not|no\s+longer)\s+want\s+to\s+(?:live|be\s+alive|exist|be\s+here|wake\s+up|go\s+on)\b",
        "ideation",
        "open",
    ),
    # Passive wish to be dead in plain words ("thinking about not being here any more").
    Phrase(
        r"\bnot\s+(?:being|be)\s+(?:here|around)\s+any\s*more\b|\bnot\s+(?:being|be)\s+alive\b",
        "ideation",
        "self",
    ),
    Phrase(r"\bhope\s+i\s+(?:don'?t|do\s+not|never)\s+wake\s+up\b", "ideation", "self"),
    # Passive wish to be dead as clients put it (C-SSRS item 1, "wished you were dead or
    # wished you could go to sleep and not wake up"): "want to not exist", "I'd like to stop
    # existing", "disappointed that I woke up", "go to sleep and never wake up".
    Phrase(
        r"\b(?:want|wanna|wants|wanted|wanting|wish|wished|wishing|like|longing)\s+(?:to\s+)?"
        r"(?:just\s+|simply\s+)?(?:not\s+(?:exist|be\s+alive|be\s+here|wake\s+up)|"
        r"stop\s+existing(?!\s+(?:on|without|as|like)\b)|cease\s+to\s+exist|"
        r"disappear\s+(?:forever|for\s+good|permanently))\b",
        "ideation",
        "self",
    ),
    Phrase(
        r"\b(?:disappointed|gutted|upset|sad|angry|annoyed|sorry|devastated)\s+(?:that\s+|when\s+)?"
        r"i\s+(?:still\s+)?(?:woke|wake|keep\s+waking)\s+up\b" + _NOT_A_TIME,
        "ideation",
        "self",
    ),
    Phrase(
        r"\bwish(?:ed)?\s+i\s+(?:didn'?t|hadn'?t|wouldn'?t|would\s+not|did\s+not|had\s+not|never)\s+"
        r"(?:wake|woke|woken|waken)\s+up\b" + _NOT_A_TIME,
        "ideation",
        "self",
    ),
    Phrase(
        r"\b(?:go|going|went|fall|falling|fell)\s+(?:to\s+sleep|asleep)\s+and\s+(?:not|never)\s+"
        r"(?:wake|waking)\s+up\b",
        "ideation",
        "open",
    ),
    Phrase(
        r"\b(?:wouldn'?t|would\s+not)\s+(?:mind|care)\s+if\s+i\s+(?:died|didn'?t\s+wake\s+up|"
        r"was\s+dead|were\s+dead|never\s+woke\s+up|got\s+hit)\b",
        "ideation",
        "self",
    ),
    Phrase(
        r"\b(?:hope|hoping|wish|pray|praying)\s+(?:that\s+)?(?:i\s+(?:get|got)|something|a\s+\w+)\s+"
        r"(?:would\s+|will\s+)?(?:hits?|kills?)\s+me\b|\b(?:hope|hoping|wish|pray|praying)\s+(?:that\s+)?"
        r"i\s+(?:get|got)\s+hit\s+by\s+a\s+(?:car|bus|truck|lorry|train)\b",
        "ideation",
        "self",
    ),
    Phrase(r"\bnever\s+wake\s+up\b", "ideation", "open"),
    Phrase(r"\bsuicidal\b", "ideation", "open"),
    Phrase(r"\bsuicides?\b", "ideation", "open"),
    Phrase(
        r"\b(?:no|nothing\s+to|no\s+reason\s+to)\s+(?:reason\s+to\s+)?live\s+for\b|\bno\s+reason\s+to\s+live\b",
        "ideation",
        "open",
    ),
    Phrase(
        r"\b(?:life\s+is\s*n[o']?t|life's\s+not)\s+worth\s+living\b|\bnot\s+worth\s+living\b",
        "ideation",
        "open",
    ),
    Phrase(
        r"\brather\s+(?:be\s+)?dead\b|\brather\s+die\s+than\s+(?:live|go\s+on|keep\s+(?:living|going)|feel)\b",
        "ideation",
        "open",
    ),
    Phrase(
        r"\bthoughts?\s+(?:of|about)\s+(?:death|dying|ending\s+it|not\s+being\s+here)\b",
        "ideation",
        "open",
    ),
    Phrase(
        r"\bwant\s+(?:it\s+all|everything|this|it)\s+to\s+(?:end|be\s+over|stop\s+forever)\b",
        "ideation",
        "open",
    ),
    Phrase(r"\bno\s+longer\s+(?:be\s+)?(?:here|alive|around)\b", "ideation", "open"),
    Phrase(r"\bkms\b", "ideation", "self"),
    # The same thoughts about someone else: recognised so that they can be set aside.
    Phrase(
        r"\b(?:kill(?:s|ed|ing)?|hang(?:s|ed|ing)?|cut(?:s|ting)?|hurt(?:s|ing)?|harm(?:s|ed|ing)?)\s+(?:himself|herself|themselves|themself)\b",
        "ideation",
        "open",
    ),
    Phrase(
        r"\b(?:end(?:s|ed|ing)?|t(?:ook|ake|akes|aking))\s+(?:his|her|their)\s+(?:own\s+)?(?:life|lives)\b",
        "ideation",
        "open",
    ),
    # plan
    Phrase(
        r"\b(?:a|my|the)\s+plan\s+(?:to|for\s+how\s+to)\s+(?:kill|end|die|do\s+it)", "plan", "open"
    ),
    Phrase(
        r"\bplann(?:ed|ing)\s+(?:how|when|where|my\s+(?:death|suicide|exit)|to\s+(?:kill|end|die))",
        "plan",
        "open",
    ),
    Phrase(
        r"\b(?:know|figured\s+out|worked\s+out|decided)\s+(?:exactly\s+)?(?:how|when|where)\s+(?:i(?:'ll|'d|\s+will|\s+would|\s+am\s+going\s+to)|to)\s+(?:do\s+it|die|end\s+it|kill)",
        "plan",
        "self",
    ),
    Phrase(r"\b(?:suicide|goodbye)\s+(?:note|letter)s?\b", "plan", "open"),
    Phrase(
        r"\b(?:picked|chose|chosen|set)\s+(?:a|the)\s+(?:date|day|time|place|spot)\b",
        "plan",
        "open",
    ),
    # intent
    Phrase(
        rf"\b(?:kill|end|off|hang)(?:ing)?\s+{_ME}\s+(?:tonight|today|tomorrow|right\s+now|"
        r"this\s+(?:week|weekend|evening))\b",
        "intent",
        "self",
    ),
    Phrase(
        rf"\b(?:(?:i'm|im|i\s+am)\s+going\s+to|(?:i'm|im|i\s+am)\s+gonna|imma|ima|i\s+will|i'll)\s+(?:kill\s+{_ME}|end\s+(?:it|my\s+life|things)|do\s+it|die|not\s+be\s+here)",
        "intent",
        "self",
    ),
    Phrase(r"\b(?:tonight|today)\s+(?:is|'s)\s+the\s+(?:night|day)\b", "intent", "open"),
    Phrase(
        rf"\b(?:worked\s+out|figured\s+out|know|calculated)\s+(?:exactly\s+)?how\s+(?:much|many)\s+"
        rf"(?:\w+\s+)?{_PILLS}\s+(?:and\s+when|and\s+where|i'?d\s+need|it\s+would\s+take)",
        "plan",
        "open",
    ),
    # Going to a place to die, with a time: "going to the bridge tonight".
    Phrase(
        r"\b(?:going|headed|heading|walking|driving|go)\s+(?:up\s+)?to\s+the\s+(?:bridge|cliffs?|tracks|"
        r"railway(?:\s+line)?|viaduct|multi-?stor(?:e)?y|car\s+park\s+roof|roof)\s+(?:tonight|today|now|"
        r"later|this\s+(?:evening|afternoon|morning|weekend)|tomorrow)\b",
        "intent",
        "open",
    ),
    Phrase(
        r"\bthis\s+is\s+(?:my\s+)?goodbye\b|\bby\s+the\s+time\s+(?:you|anyone|someone)\s+reads?\s+this\b",
        "intent",
        "open",
    ),
    Phrase(
        r"\bwon'?t\s+be\s+(?:here|around|alive)\s+(?:tomorrow|much\s+longer|by|for\s+long)\b",
        "intent",
        "open",
    ),
    Phrase(r"\bdecided\s+to\s+(?:die|end\s+(?:it|my\s+life)|kill)\b", "intent", "self"),
    # Acting on the thoughts: C-SSRS question 4 asks whether the person has had "some
    # intention of acting on them". "act on it" alone is everyday ("I'll act on your advice"):
    # only with the thoughts or urges named, or with "this time".
    Phrase(
        r"\b(?:act(?:ed|ing)?|follow(?:ed|ing)?\s+through)\s+on\s+(?:these|the|my|those|them|the\s+suicidal|"
        r"my\s+suicidal)?\s*(?:thoughts|urges|feelings)\b",
        "intent",
        "self",
    ),
    Phrase(
        r"\b(?:i'll|ill|i\s+will|i'm\s+going\s+to|im\s+going\s+to|i\s+might|i'm\s+gonna|im\s+gonna)\s+"
        r"(?:actually\s+|really\s+)?act\s+on\s+(?:it|them)\s+this\s+time\b",
        "intent",
        "self",
    ),
    # means: access to a method
    Phrase(
        rf"\b(?:stockpil|sav|hoard|collect|stor)(?:ed|ing)\s+(?:up\s+)?(?:my\s+|some\s+|all\s+(?:my\s+|the\s+)?)?{_PILLS}",
        "means",
        "open",
    ),
    Phrase(
        rf"\b{_PILLS}\s+(?:saved|stockpiled|hoarded|stashed|collected|put\s+aside)", "means", "open"
    ),
    Phrase(
        r"\b(?:bought|got|have|own|found|keep)\s+(?:a|my|the|some)\s+(?:gun|rope|noose|razor\s+blades?|blades?)\b",
        "means",
        "open",
    ),
    Phrase(
        rf"\b(?:there'?s|there\s+is|we\s+have|we've\s+got|i\s+have|i've\s+got|ive\s+got|keep|kept|"
        rf"own|bought|got)\s+(?:\w+\s+){{0,3}}?(?:a|an|the|my|his|her|our)?\s*(?:\w+'s\s+)?"
        rf"(?:service\s+|hunting\s+|loaded\s+)?{_GUN}\b",
        "means",
        "open",
    ),
    Phrase(rf"\bmy\s+(?:\w+'?s\s+)?(?:service\s+|hunting\s+|old\s+)?{_GUN}\b", "means", "self"),
    Phrase(
        r"\b(?:hold|held|holding|put|putting|press(?:ed|ing)?)\s+(?:it|the\s+\w+|a\s+\w+|my\s+\w+)\s+"
        r"(?:to|against)\s+my\s+(?:head|temple|chest|mouth)\b",
        "intent",
        "self",
    ),
    Phrase(
        r"\b(?:bought|buy|buying|got|have|own|found|keep|kept|hid|hidden|hiding)\s+(?:some\s+|a\s+|the\s+)?"
        r"(?:rope|ligatures?|noose|hose(?:pipe)?|charcoal|razor\s+blades?)\b",
        "means",
        "open",
    ),
    Phrase(r"\bligatures?\b", "means", "open"),
    Phrase(
        rf"\bstockpil(?:e|ed|es|ing)\b(?!\s+(?:\w+\s+)?(?:food|tins?|cans?|pasta|rice|flour|toilet|loo|water|"
        rf"supplies|nappies|diapers|groceries|beans|wood|logs|fuel|batteries|candles|snacks))|\b(?:saving|saved|hoarding|hoarded|collecting|stashing|stashed)\s+"
        rf"(?:up\s+)?(?:my\s+|some\s+|all\s+(?:my\s+|the\s+)?)?(?:\w+\s+)?{_PILLS}",
        "means",
        "open",
    ),
    Phrase(
        r"\b(?:know|worked\s+out|figured\s+out|looked\s+up|checked|calculated)\s+(?:exactly\s+)?how\s+"
        r"(?:much|many)\s+(?:\w+\s+){0,3}?(?:it\s+would\s+take|would\s+(?:kill|do\s+it)|it\s+takes|"
        r"to\s+take(?=\s+(?:to|for\s+it\s+to)\s+(?:die|kill|end|do\s+it|be\s+(?:fatal|lethal|enough)))|"
        r"is\s+(?:lethal|fatal|enough)|i'?d\s+need|i\s+would\s+need)",
        "plan",
        "open",
    ),
    Phrase(
        rf"\b(?:overdos(?:e|ing)|od(?:'?ing)?)\s+on\b|\btake\s+all\s+(?:my|the|of\s+my)\s+{_PILLS}",
        "means",
        "open",
    ),
    Phrase(
        r"\bjump(?:ing)?\s+(?:off|from|in\s+front\s+of)\s+(?:a|the|this)\s+(?:bridge|building|roof|train|cliff|balcony|car)",
        "means",
        "open",
    ),
    Phrase(
        r"\bslit(?:ting)?\s+my\s+(?:wrists?|throat)\b|\bhang(?:ing)?\s+myself\b", "means", "self"
    ),
    # preparatory behaviour
    Phrase(
        r"\bgiv(?:e|ing|en)\s+away\s+(?:all\s+)?my\s+(?:stuff|things|belongings|possessions|pets?|cat|dog)\b|\bgave\s+away\s+(?:all\s+)?my\s+(?:stuff|things|belongings|possessions|pets?|cat|dog)\b",
        "preparatory_behaviour",
        "self",
    ),
    Phrase(
        r"\b(?:giv(?:e|ing|en)|gave)\s+(?:all\s+)?(?:of\s+)?my\s+(?:\w+\s+)?(?:stuff|things|belongings|"
        r"possessions|clothes|books|records|pets?|cat|dog)\s+away\b",
        "preparatory_behaviour",
        "self",
    ),
    Phrase(
        r"\b(?:giv(?:e|ing|en)|gave)\s+(?:my\s+|our\s+|a\s+)?(?:\w+\s+){1,3}?(?:all\s+)?(?:of\s+)?my\s+"
        r"(?:stuff|things|belongings|possessions|jewell?ery|savings|games|console|favourite\s+\w+|"
        r"favorite\s+\w+)\b",
        "preparatory_behaviour",
        "self",
    ),
    Phrase(
        r"\b(?:said|saying|say|texted|messaged|told)\s+(?:\w+\s+){0,4}?(?:goodbye|bye)\s+(?:\w+\s+){0,3}?"
        r"(?:like|as\s+if|as\s+though)\s+(?:it\s+was|it\s+were|i\s+won'?t|i\s+wouldn'?t|i\s+was\s+never)\b"
        r"|\bit\s+was\s+(?:a|my)\s+(?:final\s+|last\s+)?goodbye\b",
        "preparatory_behaviour",
        "open",
    ),
    Phrase(
        r"\b(?:wr(?:ote|iting|itten)|left|leave|leaving)\s+(?:a\s+|my\s+|the\s+)?(?:notes?|letters?)\s+"
        r"(?:for|to)\s+(?:my|the|each|everyone|every)\b",
        "preparatory_behaviour",
        "open",
    ),
    Phrase(
        r"\b(?:sorted|sorting|putting|put|getting|got)\s+(?:all\s+)?my\s+(?:affairs|papers|finances|accounts)\s+"
        r"(?:in\s+order|sorted)|\bupdated\s+my\s+will\b|\bcancell?ed\s+(?:my|the)\s+(?:\w+\s+)?"
        r"(?:subscriptions?|plans)\b(?=[^.!?\n]*\b(?:won'?t|not\s+be|need|after\s+i)\b)",
        "preparatory_behaviour",
        "self",
    ),
    Phrase(
        r"\b(?:tied|tie|tying|made|making)\s+(?:a|the)\s+noose\b|\btest(?:ed|ing)\s+the\s+(?:rope|noose)\b",
        "preparatory_behaviour",
        "open",
    ),
    Phrase(
        r"\b(?:research(?:ed|ing)?|looked\s+up|looking\s+up|googl(?:ed|ing)|searched(?:\s+for)?)\s+(?:ways|how|methods)\s+to\s+(?:die|kill|end|overdose|commit)",
        "preparatory_behaviour",
        "open",
    ),
    Phrase(
        r"\b(?:said|saying|say)\s+my\s+goodbyes\b|\b(?:said|saying|say)\s+(?:my\s+)?goodbyes?"
        r"(?=\s+(?:quietly\s+)?to\s+(?:everyone|everybody|people|friends|all\s+of\s+(?:them|you)|"
        r"(?:my\s+)?(?:kids|children|family|loved\s+ones|friends))\b"
        r"(?![^.!?\n]*\b(?:airport|station|holiday|trip|moving|move|abroad|flight|uni|university|"
        r"school|party|wedding|funeral|hospital|grave|vet|leaving|new\s+job)\b))",
        "preparatory_behaviour",
        "open",
    ),
    Phrase(
        r"\bwrote\s+(?:my|a)\s+will\b|\bwrit(?:ing|ten)\s+(?:my|a)\s+will\b",
        "preparatory_behaviour",
        "self",
    ),
    # actual attempt
    Phrase(
        rf"\b(?:tried|attempted|try|trying)\s+to\s+(?:kill\s+{_ME}|end\s+my\s+life|take\s+my\s+(?:own\s+)?life|die|hang\s+myself|overdose)",
        "attempt",
        "open",
    ),
    Phrase(
        r"\b(?:suicide|suicidal)\s+attempts?\b|\battempted\s+suicide\b|\battempts?\s+(?:on\s+my\s+life|at\s+suicide)\b",
        "attempt",
        "open",
    ),
    Phrase(r"\boverdoses\b", "attempt", "open"),
    Phrase(
        rf"\boverdosed\b|\btook\s+(?:a\s+bunch|an?\s+overdose|all|too\s+many|a\s+handful)\s+(?:of\s+)?(?:my\s+|the\s+)?{_PILLS}?",
        "attempt",
        "open",
    ),
    Phrase(
        rf"\b(?:took|swallowed|swallow|downed|necked|take|taking|swallowing)\s+(?:a\s+(?:load|lot|bunch|handful|"
        rf"whole\s+(?:box|packet|pack|bottle|strip))|loads|lots|handfuls|boxes|packets|strips|the\s+(?:lot|whole\s+\w+)|"
        rf"all|everything|\d+|twenty|thirty|forty|fifty|a\s+(?:box|packet|bottle)|two\s+(?:boxes|packets))\s+"
        rf"(?:of\s+)?(?:my\s+|the\s+|his\s+|her\s+|mum'?s\s+|mom'?s\s+)?(?:\w+\s+)?{_PILLS}",
        "attempt",
        "open",
    ),
    Phrase(rf"\bswallow(?:ed|ing)?\s+(?:\w+\s+){{0,3}}?{_PILLS}", "attempt", "open"),
    Phrase(
        r"\b(?:drank|drink|drinking|drunk|swallowed|swallow|took|downed)\s+(?:some\s+|a\s+\w+\s+of\s+)?"
        r"(?:bleach|antifreeze|weed\s*killer|poison|drain\s+cleaner|rat\s+poison|paraquat|pesticide)\b"
        r"(?=[^.!?\n]*\b(?:die|dying|dead|end\s+it|kill|on\s+purpose|hospital|a&e|er|ambulance|wake|woke)\b)",
        "attempt",
        "open",
    ),
    Phrase(
        r"\b(?:crashed|drove|steered|swerved|rolled)\s+(?:my\s+|the\s+)?(?:car|van|bike|motorbike)?\s*"
        r"(?:\w+\s+){0,4}?on\s+purpose\b",
        "attempt",
        "open",
    ),
    Phrase(
        r"\b(?:caught|found|stopped|grabbed)\s+me\s+(?:with|holding|before\s+i\s+(?:could\s+)?(?:use|took|take))\s+"
        r"(?:the\s+|a\s+|my\s+)?(?:knife|rope|noose|pills|tablets|blade|razor|gun|belt|cord)\b",
        "attempt",
        "open",
    ),
    Phrase(
        r"\b(?:was|were|i'?d|had)\s+(?:about\s+to|going\s+to|ready\s+to|on\s+the\s+verge\s+of)\s+"
        r"(?:jump|take\s+(?:them|the|all|it)|do\s+it|go\s+through\s+with\s+it|hang|swallow)",
        "attempt",
        "open",
    ),
    Phrase(
        r"\b(?:stood|standing|sat|sitting|was)\s+(?:on|at)\s+(?:the\s+)?(?:edge\s+of\s+(?:the\s+)?)?"
        r"(?:ledge|bridge|platform|cliff(?:\s+edge)?|roof|tracks|railway|balcony)\b(?=[^.!?\n]*\b(?:jump|"
        r"end\s+it|do\s+it|die|stopped|pulled|talked|couldn'?t|didn'?t|walked\s+away|back\s+down)\b)",
        "attempt",
        "open",
    ),
    # self-harm
    Phrase(
        rf"\b(?:cut|cutting|burn|burning|burned|burnt|hurt|hurting|harm|harming|scratch(?:ing)?|hit(?:ting)?)\s+{_ME}",
        "self_harm",
        "self",
    ),
    Phrase(r"\bself[\s-]?harm(?:ing|ed)?\b|\bself[\s-]?injur(?:y|ies|ing)\b", "self_harm", "open"),
    Phrase(
        r"\b(?:cut|cuts|cutting|slash(?:ed|ing)?|burn(?:ed|t|ing)?|scratch(?:ed|ing)?|scrap(?:ed|ing)|"
        r"carv(?:ed|ing)|pick(?:ed|ing))\s+(?:at\s+|into\s+)?my\s+(?:own\s+)?(?:arms?|wrists?|legs?|thighs?|"
        r"skin|stomach|hips?|hands?|forearms?|body)\b",
        "self_harm",
        "self",
    ),
    Phrase(
        r"\b(?:hit|hitting|punch(?:ed|ing)?|bang(?:ed|ing)?|smash(?:ed|ing)?)\s+my\s+(?:head|fists?|hands?)\s+"
        r"(?:against|on|off|into)\b|\b(?:hit|hitting|punch(?:ed|ing)?)\s+myself\b",
        "self_harm",
        "self",
    ),
    Phrase(
        r"\b(?:i'?ve|ive|i\s+have|i|been|started|keep|kept|still)\s+(?:been\s+)?(?:cutting|burning|scratching)"
        r"\b(?!\s+(?:the|a|an|down|back|out|off|corners|class|school|onions?|wood|hair|it|them))",
        "self_harm",
        "open",
    ),
    Phrase(
        r"\b(?:scratch(?:ed|ing)?|pick(?:ed|ing)?(?:\s+at)?)\s+(?:at\s+)?my\s+(?:\w+\s+){0,2}(?:until|till|til)\s+"
        r"(?:it|they|i|my\s+\w+)\s+bl(?:ed|eed|eeds)\b",
        "self_harm",
        "self",
    ),
    Phrase(
        r"\bcutting\s+again\b|\brelaps(?:ed|e)\s+(?:on|into|with)\s+(?:cutting|self[\s-]?harm)\b",
        "self_harm",
        "open",
    ),
    # hopelessness
    Phrase(
        r"\bhopeless(?:ness)?\b|\bno\s+hope\b|\blost\s+(?:all\s+)?hope\b", "hopelessness", "open"
    ),
    Phrase(
        r"\bnothing\s+(?:will|is\s+going\s+to|ever)\s+(?:ever\s+)?(?:get|gets|change|changes)\s+(?:better)?",
        "hopelessness",
        "open",
    ),
    Phrase(
        r"\bno\s+(?:way\s+out|future|point\s+(?:in|to)\s+(?:living|anything|going\s+on|life))\b",
        "hopelessness",
        "open",
    ),
    Phrase(
        r"\bcan'?t\s+(?:go\s+on|take\s+(?:it|this)\s+any\s*more|keep\s+going|do\s+this\s+any\s*more)\b",
        "hopelessness",
        "open",
    ),
    Phrase(
        r"\bgiv(?:e|ing)\s+up\s+on\s+(?:life|everything|living)\b|\bwhat'?s\s+the\s+point\b",
        "hopelessness",
        "open",
    ),
    # perceived burdensomeness
    Phrase(r"\b(?:a|such\s+a|just\s+a)\s+burden\b", "burden", "open"),
    Phrase(r"\b(?:better\s+off|happier)\s+without\s+me\b", "burden", "self"),
    Phrase(r"\b(?:better\s+off|happier)\s+without\s+(?:him|her|them)\b", "burden", "open"),
    Phrase(
        r"\b(?:no\s*one|nobody|no\s+body)\s+would\s+(?:even\s+)?(?:miss|notice|care\s+if)\s+(?:me|i)\b",
        "burden",
        "self",
    ),
)

# Words that cancel a phrase when they come just before it in the same clause.
NEGATIONS: Final = (
    r"\b(?:not|never|no|n't|nor|without|neither|nothing\s+like|no\s+longer|stopped|free\s+of|"
    r"deny|denies|denied|don'?t|doesn'?t|didn'?t|isn'?t|wasn'?t|aren'?t|won'?t|wouldn'?t|"
    r"haven'?t|hasn'?t|hadn'?t|zero)\b"
)
# Negation that follows the phrase ("suicide is not something I have considered").
NEGATIONS_AFTER: Final = (
    r"^\s*[:\-\u2013?]+\s*(?:none|no|never|nil|n/?a|denied|denies|nope|not\s+(?:really|at\s+all|ever))\b|"
    r"^\s*(?:is|was|has|had|have)?\s*(?:not|never|n't|no\s+longer)\b"
    # "kms not joking", "I want to die, not kidding": the writer insists, nothing is negated.
    r"(?!\s+(?:joking|kidding|lying|exaggerating|messing\s+(?:around|about)|being\s+dramatic|"
    r"even\s+joking))|^\s*(?:isn'?t|wasn'?t|"
    r"hasn'?t|never\s+(?:was|crossed))\b|^\s*(?:has|have)\s+never\b"
)
# Negated verbs that do not negate what follows ("I can't stop thinking about killing myself").
NEGATION_EXCEPTIONS: Final = (
    r"\b(?:can'?t|cannot|couldn'?t|can\s+not)\s+(?:stop|help|shake|get\s+rid|escape|stand)"
    r"|\b(?:don'?t|do\s+not|not)\s+(?:know|sure|think\s+i\s+can)\b|\bno\s+one\b|\bnot\s+just\b"
)
THIRD_PERSONS: Final = (
    r"\b(?:he|she|they|his|her|their|him|them|he's|she's|they're|himself|herself|themselves|"
    r"themself|we|we're|our|us|someone|somebody|anyone|"
    r"everyone|people|person|man|woman|guy|girl|boy|kid|kids|teen|teens|characters?|celebrity|"
    r"\d+[\s-]?(?:year|yr)s?[\s-]?olds?|"
    r"singer|actor|actress|student|students|patients?|clients?|"
    r"(?:my|our|a|his|her|their)\s+(?:best\s+)?(?:friend|brother|sister|mom|mum|mother|dad|father|"
    r"son|daughter|partner|husband|wife|boyfriend|girlfriend|cousin|aunt|uncle|colleague|"
    r"co-?worker|roommate|flatmate|neighbou?r|classmate|grandma|grandpa|grandmother|grandfather|"
    r"child|niece|nephew|teacher|boss|ex|family\s+member|relative)s?(?:'s)?)\b"
)
FIRST_PERSONS: Final = r"\b(?:i|i'm|im|i've|ive|i'd|id|i'll|me|myself)\b"
# Recent time cues keep a past-tense phrase current (C-SSRS asks about the past month and
# the past three months for behaviour).
RECENT: Final = (
    r"\b(?:yesterday|last\s+(?:night|week|weekend|month)|this\s+(?:morning|week|month)|"
    r"today|tonight|recently|lately|again|right\s+now|now|currently|these\s+days|"
    r"(?:a\s+few|two|three|couple\s+of)\s+(?:days|weeks)\s+ago|days?\s+ago|weeks?\s+ago|"
    r"since\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b"
)
PAST: Final = (
    r"\b(?:used\s+to|years\s+ago|(?:a\s+)?(?:long\s+)?time\s+ago|(?:\d+|one|two|three|four|five|"
    r"six|seven|eight|nine|ten|many|several|a\s+few|a\s+couple\s+of)\s+years?\s+ago|"
    r"when\s+i\s+was\s+(?:a\s+kid|a\s+child|young|younger|little|a\s+teen(?:ager)?|in\s+school|"
    r"in\s+high\s+school|in\s+college|at\s+uni(?:versity)?|\d+)|as\s+a\s+(?:kid|child|young\s+(?:teen|teenager|girl|boy))|"
    r"in\s+(?:high\s+school|my\s+teens|my\s+twenties|the\s+past)|back\s+(?:then|in\s+\d{4})|"
    r"in\s+\d{4}|(?:clean|free|recovered)\s+(?:for|since)|"
    r"haven'?t\s+(?:felt|had|done|thought)|over\s+it\s+now|long\s+behind\s+me|once\s+upon)\b"
)
HYPOTHETICAL: Final = (
    r"\b(?:if\s+(?:i|you|someone|anyone|they|he|she)\s+(?:ever|were\s+to)|"
    r"hypothetical(?:ly)?|suppose|supposing|in\s+case|would\s+you|how\s+do\s+you|"
    r"how\s+would|how\s+should|how\s+can\s+i\s+help|how\s+to\s+help|what\s+should\s+i\s+do\s+if|"
    r"signs\s+of|warning\s+signs|ask(?:s|ed|ing)?\s+(?:me\s+)?(?:if|whether)|whether)\b"
)
# Professional, study and media contexts explain away open mentions of suicide or self-harm.
CONTEXTS: Final = (
    r"\b(?:i\s+work|we\s+work|work(?:ing)?\s+(?:with|as|at|in|on)|my\s+(?:job|work|shift|ward|"
    r"unit|caseload|research|thesis|dissertation|essay|paper|course|class|lecture|team)|"
    r"as\s+an?\s+(?:nurse|doctor|gp|therapist|counsell?or|psychologist|psychiatrist|paramedic|"
    r"social\s+worker|volunteer|teacher|researcher|student|clinician|chaplain|officer|medic)|"
    r"nurse|doctor|therapist|counsell?or|psychologist|psychiatrist|paramedic|social\s+worker|"
    r"(?:youth|support|care|case|key)\s*workers?|chaplain|midwife|pharmacist|coroner|"
    r"(?:police|prison|probation|coroner's)\s+officer|registrar|psychiatry|on-?call|"
    r"crisis\s+team|first\s+aid|epidemiology|lecture|my\s+(?:role|line\s+of\s+work)|"
    r"in\s+my\s+(?:job|role|work)|"
    r"volunteer(?:ing)?|training|course|module|lecture|seminar|research(?:ing)?|study|studies|"
    r"studying|statistics|rates?|prevention|awareness|hotline|helpline|crisis\s+line|samaritans|"
    r"article|news|headline|report(?:ed|s)?|documentary|podcast|book|novel|film|movie|show|"
    r"series|episode|season|song|lyrics?|album|play|poem|game|character|scene|plot|fiction|"
    r"story|history\s+class|essay|paper|thesis|journalist|reporter|policy|campaign|charity|"
    r"assess(?:es|ing|ment|ments)?|project|dissertation|masters|degree|"
    r"fundraiser|walk|memorial|vigil|minute'?s\s+silence|patients?|clients?|ward|unit|a&e|er)\b"
)
# Everyday idioms that use words of death without any risk in them.
IDIOMS: Final = (
    r"\b(?:is|are|was|were|it's|they're|that's|these|those|this|my\s+\w+)\s+(?:\w+\s+)?(?:is\s+|are\s+)?killing\s+me\b",
    r"\bkilling\s+me\s+(?:softly|slowly|right\s+now|today|lol|haha)\b",
    r"\bdying\s+(?:to|for)\s+(?:\w+\s+)?(?:see|try|know|meet|get|go|hear|read|watch|eat|have|"
    r"tell|find|visit|play|buy|start|a|an|some|the|this|that)\b",
    r"\b(?:i'?m|im|i\s+am)\s+(?:going\s+to|gonna)\s+die\s+if\s+i\s+(?:have\s+to\s+)?(?:eat|hear|see|sit|"
    r"watch|do|drink|read|listen)\b",
    r"\b(?:i'm|i\s+am|im|i\s+was|we're|we\s+were)\s+(?:literally\s+|so\s+|actually\s+)*dead\s*"
    r"(?:lol|lmao|haha|😂|💀|!|$)",
    r"\bto\s+die\s+for\b",
    r"\b(?:bored|scared|worried|frozen|freezing|tickled|loved|sick|tired|starved)\s+to\s+death\b",
    r"\b(?:laughed|laughing|laugh)\s+(?:so\s+hard\s+)?(?:that\s+)?(?:i\s+)?(?:nearly\s+|almost\s+)?"
    r"(?:died|dying|die)\b",
    r"\b(?:die|died|dying)\s+(?:of|from)\s+(?:embarrassment|laughter|boredom|shame|cuteness|"
    r"happiness|excitement|heat|thirst|hunger)\b",
    r"\bkill(?:ed|ing)?\s+(?:it|time|the\s+(?:vibe|mood|lights?|engine|music|game|set|exam|"
    r"interview|presentation))\b",
    r"\bcould\s+(?:kill|murder)\s+(?:for\s+)?(?:a|an|some|him|her|them|you)\b",
    r"\b(?:kill|shoot)\s+me\s+now\b",
    r"\bover\s+my\s+dead\s+body\b",
    r"\b(?:drop\s+)?dead\s+(?:tired|on\s+my\s+feet|serious|gorgeous|easy|last|wrong|set|"
    r"silent|center|centre|end|line|lines?)\b",
    r"\bdeadlines?\b",
    r"\bi\s+(?:nearly|almost)\s+died\s+(?:laughing|when|of)\b",
    r"\bi(?:'d|\s+would)\s+rather\s+die\s+than\s+(?!live|go\s+on|keep|feel|be\s+alive|continue)",
    r"\b(?:phone|battery|laptop|car|plants?|flowers?|fish|goldfish|tomatoes|printer)\s+"
    r"(?:\w+\s+)?(?:is\s+|just\s+)?(?:dead|died|dying)\b",
    r"\b(?:kill|killed|killing)\s+(?:the\s+)?(?:spider|bug|bugs|weeds?|flies|fly|mosquito(?:es)?)\b",
    r"\bsuicide\s+(?:squad|doors?|run|drills?|sprints?|mission\s+(?:in|of)\s+the\s+game)\b",
    r"\bcut\s+myself\s+(?:shaving|cooking|on\s+(?:a|the)\s+(?:paper|knife|glass|can))\b",
    r"\bcut\s+myself\s+(?:some\s+)?slack\b",
    r"\b(?:cut|burnt|burned|scratched|scalded)\s+my\s+(?:hand|finger|thumb|arm|leg|wrist|foot)\s+"
    r"(?:on\s+(?!purpose)|while|when|cooking|shaving|at\s+work|in\s+the\s+kitchen|by\s+accident)",
    r"\bhurt\s+myself\s+(?:at|playing|in)\s+(?:the\s+)?(?:gym|football|soccer|training|practice|"
    r"game|match|fall|garden)\b",
    r"\bend\s+it\s+all\s+(?:with|on)\s+(?:a|the)\s+(?:high|bang|win)\b",
    # "It'll be the death of me", "that class nearly killed me", "the exam murdered me".
    r"\b(?:be|was|is|'ll\s+be)\s+the\s+death\s+of\s+(?:me|us)\b",
    r"\b(?:nearly|almost|practically|basically|literally|actually)\s+(?:killed|murdered)\s+"
    r"(?:me|us)\b",
    r"\bmurder(?:ed|ing)\s+(?:me|us|my\s+\w+)\b",
    r"\b(?:i'd|i\s+would|i\s+could|would|could)\s+(?:\w+\s+)?(?:kill|murder)\s+for\b",
    # "I'm so embarrassed I could die", "so hungry I could die".
    r"\bso\s+(?:\w+\s+){1,2}(?:that\s+)?i\s+could\s+(?:just\s+|have\s+)?(?:die|died)\b",
    r"\bdied\s+a\s+little\s+(?:inside|bit)\b|\bdied\s+a\s+death\b",
    # Games and sport: "I got killed in the first round", "the sniper killed me from across
    # the map", "we got slaughtered in the final".
    r"\b(?:got|get|getting|keep\s+getting)\s+(?:killed|murdered|slaughtered|destroyed)\b",
    r"\b(?:killed|kills|killing)\s+(?:me|us)\b(?=[^.!?\n]*\b(?:game|match|round|level|boss|map|"
    r"respawn|lobby|server|quiz|fight|race)\b)",
    r"\b(?:wifi|internet|signal|battery|phone|laptop|starter|conversation|party)\s+"
    r"(?:\w+\s+)?(?:is\s+|was\s+|keeps\s+)?(?:dead|died|dying)\b",
    r"\bdead\s+in\s+the\s+water\b|\b(?:dying|died)\s+of\s+thirst\b",
)
# "<someone or something> will / is going to / would kill me": everyday exaggeration when the
# subject is not the writer ("this curry is going to kill me", "she'll kill me if I'm late").
# The subject is the named group; the rules check it (see ``rules._everyday_threats``).
KILL_ME: Final = (
    r"\b(?P<subject>\w+)(?:'ll|'d|'s\s+(?:going\s+to|gonna)|'re\s+(?:going\s+to|gonna)|"
    r"\s+(?:is|are|was|were)\s+(?:going\s+to|gonna)|\s+(?:will|would|gonna))\s+"
    r"(?:\w+\s+)?(?:kill|murder)\s+(?:me|us)\b"
)
# Subjects for which "will kill me" is not an everyday exaggeration: the writer, and inner
# states whose "killing" the writer may mean literally ("this depression is going to kill me").
KILL_ME_NOT_IDIOM: Final = (
    r"^(?:i|we|depression|sadness|loneliness|grief|pain|thoughts?|feelings?|feeling|misery|"
    r"despair|illness|voices?|anxiety|emptiness|life|it|this|that)$"
)
# Said of a person, it is everyday only with an everyday consequence: "she'll kill me if I'm
# late", "my mum is going to kill me when she sees the car", "he'll kill me for telling you".
# A threat tied to leaving or telling ("he'll kill me if I leave") is not read as an idiom.
KILL_ME_PERSONS: Final = (
    r"^(?:he|she|they|you|mum|mom|dad|mother|father|sister|brother|boss|manager|teacher|wife|"
    r"husband|partner|girlfriend|boyfriend|landlord|grandma|grandpa|gran|nan|coach|friend|"
    r"parents|family|colleague|ex|someone|somebody|anyone|nobody|people)$"
)
KILL_ME_EVERYDAY: Final = r"^[^.!?\n]*?\b(?:if|when|once|for|because|after)\b"
KILL_ME_SERIOUS: Final = (
    r"\b(?:leave|left|leaving|tell|told|telling\s+(?:anyone|the\s+police)|report|police|"
    r"escape|divorce|do\s+it|myself)\b"
)
# Means of suicide in a sentence: no idiom reading is taken there ("these pills will kill
# me", "the overdose nearly killed me").
IDIOM_GUARD: Final = (
    r"\b(?:pills|tablets|meds|medications?|medicines?|drugs|insulin|paracetamol|overdos\w*|"
    r"rope|noose|gun|firearm|knife|knives|blades?|razors?|poison|bridge|cliff|ledge|roof|"
    r"train|tracks|jump(?:ing)?)\b"
)

# Words naming who someone is. Said by the writer about themselves ("As a Black woman, ...",
# "I'm a nurse."), the rules read them as the writer: never a third person, never a
# professional context. Nothing is blanked: the classifier reads them like any other word.
IDENTITY_TERMS: Final = frozenset(
    """
    black white asian latino latina latinx hispanic arab arabic jewish jew muslim christian
    hindu sikh buddhist atheist catholic protestant mormon religious indigenous native
    aboriginal african american mexican chinese indian pakistani nigerian polish irish
    korean japanese filipino vietnamese somali syrian afghan ukrainian european caribbean
    gay lesbian bisexual bi queer straight heterosexual homosexual pansexual asexual
    trans transgender nonbinary enby cis cisgender intersex genderqueer genderfluid
    man woman men women male female guy gal boy girl lady gentleman
    disabled disability deaf blind autistic autism wheelchair adhd dyslexic
    immigrant immigrants refugee refugees migrant migrants undocumented asylum seeker
    poor rich wealthy affluent homeless unemployed working class elderly older younger young
    mixed race biracial multiracial ethnic ethnicity minority
    teen teenager teenage aged retired pensioner
    """.split()
)
IDENTITY_NOUNS: Final = frozenset(
    """
    person people mum mom dad mother father parent parents grandmother grandfather grandma
    grandpa grandad granny nan wife husband widow widower daughter son sister brother
    nurse doctor teacher student carer caregiver veteran soldier officer firefighter paramedic
    midwife pharmacist therapist counsellor counselor social worker builder farmer lawyer
    muslim christian jew hindu sikh buddhist teenager teen kid youth adult pensioner
    user wheelchair survivor single latina latino
    """.split()
)
