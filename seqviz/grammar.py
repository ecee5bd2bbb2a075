"""Synthetic English→French grammar: lexicon, inflection, rendering and sampling of sentence pairs.

The default corpus comes from a small compositional grammar, so every English sentence has exactly one
French translation and a small model can learn the whole mapping. It still shows what the lesson is
about: gender and number agreement, adjectives after the noun (so alignments reorder), ne … pas, elision
(j'ai, l'homme, qu'il), passé composé, relative clauses, and sentences up to 48 words built by joining
clauses. Deterministic: the same (n, seed) always gives the same pairs. Splits and file I/O live in
seqviz.data, which re-exports the public names here.
"""

from __future__ import annotations

import functools
import random
from collections import namedtuple

Pair = tuple[str, str]  # (english, french)
DEFAULT_SIZE = 60000
MAX_WORDS = 48  # English words per sentence, so subword sequences stay inside the models' max_len

# Nouns: "en[/plural] fr[/plural] gender kinds…". Kinds decide which verbs and adjectives fit a noun; "mass"
# nouns take du/de la and no plural, "sg" nouns have none (English "fish" would be ambiguous), "def" nouns
# take only the/my… (no "a grass").
_NOUN_SPEC = """
man/men homme m person; woman/women femme f person; boy garçon m person; girl fille f person
friend ami m person; child/children enfant m person; teacher professeur m person; student étudiant m person
sister sœur f person; brother frère m person; mother mère f person; father père m person
doctor médecin m person; cat chat m animal; dog chien m animal; bird oiseau m animal; horse cheval m animal
cow vache f animal; mouse/mice souris f animal; rabbit lapin m animal; elephant éléphant m animal
duck canard m animal; apple pomme f food fruit; orange orange f food fruit; banana banane f food fruit
tomato tomate f food fruit cook; cake gâteau m food make; egg œuf m food cook; sandwich sandwich m food make
fish poisson m food cook sg; bread pain m food mass; cheese fromage m food mass
soup soupe f food mass make cook; meat viande f food mass cook; water eau f drink mass; milk lait m drink mass
coffee café m drink mass make; tea thé m drink mass make; book livre m thing read
letter lettre f thing read write open; key clé f thing; bag sac m thing open cont
box boîte f thing open cont seat; cup tasse f thing wash cont; glass verre m thing wash cont
bottle bouteille f thing open cont; newspaper journal m thing read; umbrella parapluie m thing open
ball ballon m thing wash; flower fleur f thing; car voiture f thing wash clean vehicle
story histoire f read write; song chanson f listen write; music musique f listen sg def; door porte f open
window fenêtre f open clean; bus bus m vehicle; train train m vehicle; market marché m place at
school école f place at; park parc m place in; garden jardin m place in; house maison f place in clean
station gare f place at; beach plage f place at; city ville f place in; library bibliothèque f place at in
hospital hôpital m place at; restaurant restaurant m place at in; shop magasin m place at in
kitchen cuisine f place in clean; hotel hôtel m place at in; river rivière f place in
table table f seat clean; chair chaise f seat; mat tapis m seat; bed lit m seat; sofa canapé m seat
floor sol m seat sg def clean; grass herbe f seat sg def
"""
# Adjectives: "en fr[/feminine[/masculine before a vowel]] position kinds…". "pre" adjectives go before the
# French noun (le petit chat), "col"ours and "post" ones after it (le chat noir); English puts all before.
_ADJ_SPEC = """
small petit pre person animal thing place seat fruit; big grand pre person animal thing place seat
old vieux/vieille/vieil pre person animal thing place seat; young jeune pre person animal
good bon/bonne pre person animal food drink; beautiful beau/belle/bel pre person animal thing place
new nouveau/nouvelle/nouvel pre thing place seat; red rouge col animal thing seat fruit
blue bleu col thing seat; green vert col thing seat fruit; black noir col animal thing seat
white blanc/blanche col animal thing seat; yellow jaune col thing fruit; heavy lourd post thing
empty vide post cont; expensive cher/chère post thing food drink; clean propre post thing place seat
dirty sale post thing place seat animal; hot chaud post food drink; cold froid post food drink place
fresh frais/fraîche post food drink; delicious délicieux/délicieuse post food drink
happy heureux/heureuse post person animal; sad triste post person animal; tired fatigué post person animal
sick malade post person animal; kind gentil/gentille post person animal; quiet calme post person animal place
comfortable confortable post seat; soft doux/douce post seat; warm chaud post seat place
"""
# Verbs: "en base[/past/participle[/-ing]] | fr infinitive [participle] | present ×6 if irregular | object
# kinds ("to"/"at": a destination) | flags". Flags: a = animals may be the subject, i = indefinite objects
# (a, some, two), s = stative (no progressive or future), p = present only as progressive and past only as
# perfect (English "read" is both present and past), x = present only, b = takes "for someone", e = être.
_VERB_SPEC = """
eat/ate/eaten | manger | | food | ai
drink/drank/drunk | boire bu | bois bois boit buvons buvez boivent | drink | ai
see/saw/seen | voir vu | vois vois voit voyons voyez voient | person animal thing place | ais
like | aimer | | food drink animal thing place | s; look at | regarder | | person animal thing place | a
want | vouloir voulu | veux veux veut voulons voulez veulent | food drink thing | isx
read/read/read | lire lu | lis lis lit lisons lisez lisent | read | ip
write/wrote/written | écrire écrit | écris écris écrit écrivons écrivez écrivent | write | ib
take/took/taken | prendre pris | prends prends prend prenons prenez prennent | thing food vehicle | i
make/made/made | faire fait | fais fais fait faisons faites font | make | ib
buy/bought/bought | acheter | achète achètes achète achetons achetez achètent | thing food drink | ib
find/found/found | trouver | | thing animal | ai
open | ouvrir ouvert | ouvre ouvres ouvre ouvrons ouvrez ouvrent | open |; close | fermer | | open |
wash | laver | | wash animal |; cook | cuisiner | | cook | ib
bring/brought/brought | apporter | | thing food drink | ib; look for | chercher | | thing animal person | a
clean | nettoyer | nettoie nettoies nettoie nettoyons nettoyez nettoient | clean |
visit | visiter | | place |; wait for | attendre | | person vehicle | a; help | aider | | person animal | a
listen to | écouter | | person listen | a
sleep/slept/slept | dormir | dors dors dort dormons dormez dorment | | a; play | jouer | | | a
run/ran/run/running | courir couru | cours cours court courons courez courent | | a; work | travailler | | |
swim/swam/swum/swimming | nager | | | a; sing/sang/sung | chanter | | |; dance | danser | | |
leave/left/left | partir | pars pars part partons partez partent | | ae; arrive | arriver | | at | ae
go/went/gone | aller allé | vais vas va allons allez vont | to | ae
come/came/come | venir venu | viens viens vient venons venez viennent | to | ae
"""
_BE, _WAS = ("am", "are", "is", "are", "are", "are"), ("was", "were", "was", "were", "were", "were")
_HAVE, _REFLEXIVE = ("have", "have", "has", "have", "have", "have"), ("me", "te", "se", "nous", "vous", "se")
_ETRE, _AVOIR = ("suis", "es", "est", "sommes", "êtes", "sont"), ("ai", "as", "a", "avons", "avez", "ont")
_ALLER = ("vais", "vas", "va", "allons", "allez", "vont")
_IMPF = ("ais", "ais", "ait", "ions", "iez", "aient")  # imparfait endings
# "you" is always tu and "you all" always vous: one translation per English sentence.
_PRONOUNS = (("i", "je", 0, False), ("you", "tu", 1, False), ("he", "il", 2, False), ("she", "elle", 2, True),
             ("we", "nous", 3, False), ("you all", "vous", 4, False), ("they", "ils", 5, False))
_DETS = {"the": ("le", "la", "les"), "a": ("un", "une", ""), "my": ("mon", "ma", "mes"),
         "your": ("ton", "ta", "tes"), "his": ("son", "sa", "ses"), "her": ("son", "sa", "ses"),
         "our": ("notre", "notre", "nos"), "their": ("leur", "leur", "leurs"),
         "two": ("", "", "deux"), "three": ("", "", "trois"), "four": ("", "", "quatre"),
         "five": ("", "", "cinq")}
_POSSESSIVES, _NUMBERS = ("my", "your", "his", "her", "our", "their"), ("two", "three", "four", "five")
_PREPS = {"in": ("dans", ("in",)), "at": ("à", ("at",)), "near": ("près de", ("place", "seat")),
          "behind": ("derrière", ("place", "seat")), "in front of": ("devant", ("place",)),
          "next to": ("à côté de", ("seat",)), "on": ("sur", ("seat",)), "under": ("sous", ("seat",)),
          "with": ("avec", ("person", "animal")), "for": ("pour", ("person",))}
_CLAUSE_PREPS = ("in", "in", "at", "at", "near", "behind", "in front of", "next to", "on", "under", "with",
                 "with")
_NP_PREPS = ("in", "near", "behind", "next to", "on", "under", "with")  # the book on the table
_FREQUENCY = {"often": "souvent", "always": "toujours", "sometimes": "parfois"}  # after the French verb
_TIME = {"pres": (("every day", "tous les jours"), ("in the morning", "le matin"),
                  ("in the evening", "le soir")),
         "prog": (("now", "maintenant"), ("today", "aujourd'hui")),
         "past": (("yesterday", "hier"), ("this morning", "ce matin"), ("last night", "hier soir")),
         "perf": (("today", "aujourd'hui"), ("this morning", "ce matin")), "impf": (("yesterday", "hier"),),
         "fut": (("tomorrow", "demain"), ("tonight", "ce soir"), ("next week", "la semaine prochaine"))}
_COMPLEMENT = (("think", "pense penses pense pensons pensez pensent"),
               ("know", "sais sais sait savons savez savent"), ("say", "dis dis dit disons dites disent"),
               ("hope", "espère espères espère espérons espérez espèrent"))
# Clause joiners, weighted by repetition. After a clause ending in "because it was …", _sample_sentence takes
# only the first six (and, but), so they must stay first.
_CONJUNCTIONS = (*[(("and",), ("et",))] * 4, *[((",", "but"), (",", "mais"))] * 2,
                 *[(("because",), ("parce", "que"))] * 2, (("while",), ("pendant", "que")),
                 (("when",), ("quand",)), (("so",), ("donc",)))
# Mostly short sentences, as in real corpora (Tatoeba), with a long tail to 48 words for the length experiment.
_LENGTHS = ((0.60, 2, 10), (0.84, 11, 20), (0.94, 21, 30), (1.0, 31, MAX_WORDS))  # (cumulative p, min, max)
_ELIDABLE = frozenset(("je", "le", "la", "ne", "que", "de", "me", "te", "se"))
_MUTE_H = ("hom", "hôp", "hôt", "herb", "hist")  # every h-word in the lexicon: l'homme, l'histoire
_CONTRACT = {("à", "le"): "au", ("à", "les"): "aux", ("de", "le"): "du", ("de", "les"): "des"}

_Noun = namedtuple("_Noun", "en en_pl fr fr_pl fem kinds")
_Adj = namedtuple("_Adj", "en ms fs vowel pos kinds")  # vowel: masculine singular before a vowel (vieil)
_Verb = namedtuple("_Verb", "base s3 ing past pp inf pres impf fr_pp objs flags tenses")
_NP = namedtuple("_NP", "en fr person fem noun", defaults=(None,))  # person 0..5: je tu il nous vous ils


def _s(w: str) -> str:
    """English -s: plural of a noun, 3rd person singular of a verb."""
    if w.endswith(("s", "x", "ch", "sh", "o")):
        return w + "es"
    return w[:-1] + "ies" if w.endswith("y") and w[-2] not in "aeiou" else w + "s"


def _plural_fr(w: str) -> str:
    if w.endswith(("s", "x", "z")):
        return w
    return w + "x" if w.endswith("eau") else w[:-2] + "aux" if w.endswith("al") else w + "s"


def _items(spec: str) -> list[list[str]]:
    return [item.split() for item in spec.replace("\n", ";").split(";") if item.strip()]


def _parse_verb(item: list[str]) -> _Verb:
    en, fr, pres, objs, flags = (s.split() for s in " ".join(item).split("|"))
    base, past, pp, ing = (" ".join(en).split("/") + ["", "", ""])[:4]
    head, _, particle = base.partition(" ")
    ed = head + ("d" if head.endswith("e") else "ed")  # no regular verb here ends in a consonant + y
    ing = ing or (head[:-1] if head.endswith("e") and not head.endswith("ee") else head) + "ing"
    s3, ing, ed = (f"{w} {particle}".strip() for w in (_s(head), ing, ed))
    stem, ending = fr[0][:-2], fr[0][-2:]
    if pres:
        forms = tuple(pres)
    elif ending == "er":  # -ger keeps its e before o: nous mangeons
        nous = "eons" if stem.endswith("g") else "ons"
        forms = tuple(stem + e for e in ("e", "es", "e", nous, "ez", "ent"))
    else:
        forms = tuple(stem + e for e in ("s", "s", "", "ons", "ez", "ent"))  # vendre, attendre
    impf_stem = forms[3][:-3]  # the imparfait is built on the nous form: buvons → buvais
    impf = tuple((impf_stem[:-1] if impf_stem.endswith("ge") and e[0] == "i" else impf_stem) + e
                 for e in _IMPF)  # mangeais but mangions
    flags = "".join(flags)
    tenses = ("pres", "pres", "prog", "prog", "past", "perf", "impf", "fut")
    tenses = tuple(t for t in tenses if not ("s" in flags and t in ("prog", "impf", "fut"))
                   and not ("p" in flags and t in ("pres", "past")))
    return _Verb(base, s3, ing, past or ed, pp or past or ed, fr[0], forms, impf,
                 fr[1] if len(fr) > 1 else stem + {"er": "é", "ir": "i"}.get(ending, "u"), tuple(objs), flags,
                 ("pres",) if "x" in flags else tenses)


_NOUNS = [_Noun(en.split("/")[0], (en.split("/") + [_s(en)])[1], fr.split("/")[0],
                (fr.split("/") + [_plural_fr(fr)])[1], g == "f", tuple(kinds)) for en, fr, g, *kinds in
          _items(_NOUN_SPEC)]
_ADJS = [_Adj(en, ms, fs or (ms if ms.endswith("e") else ms + "e"), vowel or ms, pos, tuple(kinds))
         for en, fr, pos, *kinds in _items(_ADJ_SPEC) for ms, fs, vowel in [(fr + "//").split("/")[:3]]]
_VERBS = [_parse_verb(item) for item in _items(_VERB_SPEC)]
_ANIMAL_VERBS = [v for v in _VERBS if "a" in v.flags]
_NOUN, _ADJ, _VERB = ({x.en: x for x in _NOUNS}, {x.en: x for x in _ADJS}, {x.base: x for x in _VERBS})
# Lists in lexicon order, so sampling never depends on hash order.
_BY_KIND = {kind: [n for n in _NOUNS if kind in n.kinds] for noun in _NOUNS for kind in noun.kinds}
_ADJS_FOR = {n.en: [a for a in _ADJS if set(a.kinds) & set(n.kinds)] for n in _NOUNS}
_ADJS_FOR["person"] = [a for a in _ADJS if "person" in a.kinds]  # for pronoun subjects
_COLOURS_FOR = {key: [a for a in adjs if a.pos == "col"] for key, adjs in _ADJS_FOR.items()}
_SEAT_ADJS = [a for a in _ADJS if "seat" in a.kinds and a.pos != "col"]


# Rendering: explicit choices in, English and French tokens out. Agreement and elision live here.
def _vowel(word: str) -> bool:
    return bool(word) and (word[0] in "aeiouyàâéèêîôœ" or word.startswith(_MUTE_H))


def _agree(word: str, fem: bool, plural: bool) -> str:
    word += "e" if fem else ""
    return word + "s" if plural and not word.endswith("s") else word


def _adj(a: _Adj, fem: bool, plural: bool, before_vowel: bool = False) -> str:
    if plural:
        return _plural_fr(a.fs if fem else a.ms)
    return a.fs if fem else a.vowel if before_vowel else a.ms


def _pronoun(index: int) -> _NP:
    en, fr, person, fem = _PRONOUNS[index]
    return _NP(en.split(), [fr], person, fem)


def _np(noun: _Noun, det: str = "the", plural: bool = False, pre: _Adj | None = None,
        post: _Adj | None = None) -> _NP:
    body = [noun.fr_pl if plural else noun.fr]
    if pre:
        body.insert(0, _adj(pre, noun.fem, plural, _vowel(body[0])))
    if post:
        body.append(_adj(post, noun.fem, plural))
    if det == "some":  # de + le becomes du when the text is joined
        fr_det = ["de" if pre else "des"] if plural else ["de", "la" if noun.fem else "le"]
    else:  # ma école → mon école
        ms, fs, pl = _DETS[det]
        fr_det = [pl if plural else fs if noun.fem and not (det in _POSSESSIVES and _vowel(body[0])) else ms]
    en = [det] + [a.en for a in (pre, post) if a] + [noun.en_pl if plural else noun.en]
    return _NP(en, fr_det + body, 5 if plural else 2, noun.fem, noun)


def _extend(np: _NP, en: list[str], fr: list[str]) -> _NP:
    return np._replace(en=np.en + en, fr=np.fr + fr)


def _pp(prep: str, np: _NP) -> tuple[list[str], list[str]]:
    return prep.split() + np.en, _PREPS[prep][0].split() + np.fr


def _act(s: _NP, v: _Verb, tense: str, neg: str = "", adv: str = "", obj: _NP | None = None):
    """Subject, verb group, then destination or object. tense: pres prog past perf impf fut; neg not/never."""
    p, n = s.person, ["not"] if neg else []
    en = {"pres": (["does" if p == 2 else "do", "not", v.base] if neg == "not"
                   else [neg or adv] * bool(neg or adv) + [v.s3 if p == 2 else v.base]),
          "prog": [_BE[p]] + n + [v.ing], "past": ["did", "not", v.base] if neg else [v.past],
          "perf": [_HAVE[p]] + n + [v.pp], "impf": [_WAS[p]] + n + [v.ing],
          "fut": [_BE[p]] + n + ["going", "to", v.base]}[tense]
    rest: list[str] = []
    if tense in ("pres", "prog"):  # English progressive and simple present are both the French présent
        finite = v.pres[p]
    elif tense in ("past", "perf"):  # passé composé; with être the participle agrees with the subject
        finite = (_ETRE if "e" in v.flags else _AVOIR)[p]
        rest = [_agree(v.fr_pp, s.fem, p >= 3) if "e" in v.flags else v.fr_pp]
    else:
        finite, rest = (v.impf[p], []) if tense == "impf" else (_ALLER[p], [v.inf])
    if neg:
        fr = ["ne", finite, "pas" if neg == "not" else "jamais"] + rest
    else:
        fr = [finite] + ([_FREQUENCY[adv]] if adv else []) + rest
    en, fr = s.en + " ".join(en).split(), s.fr + fr
    if v.objs and v.objs[0] in ("to", "at"):
        en, fr = en + [v.objs[0]], fr + ["à"]
    return (en + obj.en, fr + obj.fr) if obj else (en, fr)


def _sat(s: _NP, prep: str, seat: _NP, neg: bool = False, because: _Adj | None = None):
    """Reflexive passé composé (s'est assis) + place, then 'because it was ADJ' where it is the place."""
    p = s.person
    en = s.en + (["did", "not", "sit"] if neg else ["sat"]) + _pp(prep, seat)[0]
    fr = (s.fr + ["ne"] * neg + [_REFLEXIVE[p], _ETRE[p]] + ["pas"] * neg + [_agree("assis", s.fem, p >= 3)]
          + _pp(prep, seat)[1])
    if because:
        en += ["because", "it", "was", because.en]
        fr += ["parce", "que", "elle" if seat.fem else "il", "était", _adj(because, seat.fem, False)]
    return en, fr


def _pred(s: _NP, adj: _Adj, past: bool = False, neg: bool = False, very: bool = False):
    p = s.person
    finite = "ét" + _IMPF[p] if past else _ETRE[p]
    en = s.en + [(_WAS if past else _BE)[p]] + ["not"] * neg + ["very"] * very + [adj.en]
    fr = s.fr + (["ne", finite, "pas"] if neg else [finite]) + ["très"] * very + [_adj(adj, s.fem, p >= 3)]
    return en, fr


def _relative(head: _NP, en: list[str], fr: list[str]) -> _NP:
    """Subject relative clause: the cat that eats the bread → le chat qui mange le pain."""
    return _extend(head, ["who" if head.noun and "person" in head.noun.kinds else "that"] + en, ["qui"] + fr)


def _render_fr(tokens: list[str]) -> str:
    out: list[str] = []
    prefix = ""
    for i, tok in enumerate(tokens):  # elision before contraction: à + le homme is à l'homme, never au homme
        if tok in _ELIDABLE and i + 1 < len(tokens) and _vowel(tokens[i + 1]):
            prefix += tok[:-1] + "'"
        elif out and not prefix and (out[-1], tok) in _CONTRACT:
            out[-1] = _CONTRACT[out[-1], tok]
        else:
            out.append(prefix + tok)
            prefix = ""
    return " ".join(out)


def _render_en(tokens: list[str]) -> str:
    return " ".join("an" if t == "a" and i + 1 < len(tokens) and tokens[i + 1][0] in "aeiou" else t
                    for i, t in enumerate(tokens))


# Sampling: random choices within a word budget. The budget handed down to each clause and noun phrase steers
# sentence length, rather than rejecting finished sentences, so generation stays fast.
def _pick_det(rng: random.Random, noun: _Noun, plural: bool, mode: str) -> str:
    """mode 'def': the, my… (ne … pas + un would need 'pas de'); 'pp' adds a; 'any' adds some, two…"""
    r, mode = rng.random(), "def" if "def" in noun.kinds else mode
    if r < 0.55:
        return "the"
    if r < 0.78 or mode == "def":
        return rng.choice(_POSSESSIVES)
    if "mass" in noun.kinds or plural:
        return "the" if mode != "any" else "some" if "mass" in noun.kinds or r < 0.9 else rng.choice(_NUMBERS)
    return "a"


def _sample_np(rng: random.Random, kinds: tuple[str, ...], budget: int, mode: str = "any",
               mods: bool = True) -> _NP:
    noun = rng.choice(_BY_KIND[rng.choice(kinds)])
    plural = "mass" not in noun.kinds and "sg" not in noun.kinds and rng.random() < 0.3
    pre = post = None
    if budget >= 3 and _ADJS_FOR[noun.en] and rng.random() < 0.4:
        adj, colours = rng.choice(_ADJS_FOR[noun.en]), _COLOURS_FOR[noun.en]
        if adj.pos != "pre":
            post = adj
        elif budget >= 4 and colours and rng.random() < 0.35:  # the small black cat: size before colour
            pre, post = adj, rng.choice(colours)
        else:
            pre = adj
    np = _np(noun, _pick_det(rng, noun, plural, mode), plural, pre, post)
    left = budget - len(np.en)
    if mods and left >= 4 and rng.random() < min(0.8, 0.1 * left):
        return _sample_relative(rng, np, left - 1)
    if mods and left >= 3 and rng.random() < 0.3:
        return _extend(np, *_sample_pp(rng, _NP_PREPS, left))
    return np


def _sample_pp(rng: random.Random, preps: tuple[str, ...], budget: int) -> tuple[list[str], list[str]]:
    prep = rng.choice(preps)
    budget -= len(prep.split())
    return _pp(prep, _sample_np(rng, _PREPS[prep][1], budget, "pp", mods=budget >= 6))


def _sample_relative(rng: random.Random, head: _NP, budget: int) -> _NP:
    gap = _NP([], [], head.person, head.fem, head.noun)  # the relative pronoun is the subject
    kinds, adjs, r = head.noun.kinds, _ADJS_FOR[head.noun.en], rng.random()
    if ("person" in kinds or "animal" in kinds) and r < 0.75:
        return _relative(head, *_sample_act(rng, gap, budget, relative=True))
    if adjs and r < 0.88:  # the cup that is empty
        return _relative(head, *_pred(gap, rng.choice(adjs), past=rng.random() < 0.3))
    en, fr = _sample_pp(rng, ("in", "near", "behind", "on", "under"), budget - 1)
    return _relative(head, [_BE[head.person]] + en, [_ETRE[head.person]] + fr)  # that is on the table


def _sample_subject(rng: random.Random, budget: int, kinds: tuple[str, ...] = ("person", "animal")) -> _NP:
    if "person" in kinds and rng.random() < (0.8 if budget <= 4 else 0.45):
        return _pronoun(rng.randrange(len(_PRONOUNS)))
    return _sample_np(rng, kinds, max(2, round(budget * rng.uniform(0.15, 0.5))))


def _sample_act(rng: random.Random, s: _NP, budget: int, relative: bool = False):
    verbs = _ANIMAL_VERBS if s.noun and "animal" in s.noun.kinds else _VERBS
    v = rng.choice(verbs)
    if budget <= 3 and v.objs and rng.random() < 0.7:  # short sentences favour verbs without objects
        v = rng.choice([w for w in verbs if not w.objs])
    tense, neg, adv, r = rng.choice(v.tenses), "", "", rng.random()
    if r < 0.13:
        neg = "not"
    elif tense == "pres" and not relative and r < 0.3:
        adv = rng.choice(("often", "always", "sometimes", "never"))
        neg, adv = ("never", "") if adv == "never" else ("", adv)
    obj = None
    if v.objs:
        used = len(s.en) + {"pres": 1, "past": 1, "fut": 4}.get(tense, 2) + 2 * bool(neg)
        left = max(2, round((budget - used) * rng.uniform(0.5, 1.0)))
        if v.objs[0] in ("to", "at"):
            obj = _sample_np(rng, ("place",) if v.objs[0] == "to" else ("at",), left - 1, "pp")
        else:
            obj = _sample_np(rng, v.objs, left, "def" if neg or "i" not in v.flags else "any")
    en, fr = _act(s, v, tense, neg, adv, obj)
    for _ in range(2):
        if budget - len(en) < 3 or rng.random() < 0.45:
            break
        pe, pf = _sample_pp(rng, _CLAUSE_PREPS + ("for", "for") * ("b" in v.flags), budget - len(en))
        en, fr = en + pe, fr + pf
    if not relative and budget - len(en) >= 1 and rng.random() < 0.3:
        te, tf = rng.choice(_TIME[tense])
        en, fr = en + te.split(), fr + tf.split()
    return en, fr


def _sample_clause(rng: random.Random, budget: int, complement: bool = True):
    """One clause of about `budget` English words, and whether it ends in 'because it was …'."""
    r = rng.random()
    if complement and budget >= 9 and r < 0.1:  # i think that + clause
        s = _sample_subject(rng, 3, ("person",))
        verb, forms = rng.choice(_COMPLEMENT)
        if verb == "say" and rng.random() < 0.4:
            en, fr = s.en + ["said"], s.fr + [_AVOIR[s.person], "dit"]
        else:
            en, fr = s.en + [_s(verb) if s.person == 2 else verb], s.fr + [forms.split()[s.person]]
        inner_en, inner_fr, because = _sample_clause(rng, budget - len(en) - 1, complement=False)
        return en + ["that"] + inner_en, fr + ["que"] + inner_fr, because
    if r < 0.2:  # the cat sat on the mat (because it was comfortable)
        s = _sample_subject(rng, budget)
        seat = _np(rng.choice(_BY_KIND["seat"]), "the" if rng.random() < 0.75 else rng.choice(_POSSESSIVES))
        prep = rng.choice(("on", "on", "on", "under", "near"))
        because = rng.choice(_SEAT_ADJS) if prep == "on" and rng.random() < 0.5 else None
        en, fr = _sat(s, prep, seat, rng.random() < 0.1, because)
        if not because and budget - len(en) >= 1 and rng.random() < 0.4:
            te, tf = rng.choice(_TIME["past"])
            en, fr = en + te.split(), fr + tf.split()
        return en, fr, because is not None
    if r < 0.32:  # the cup is empty, she was tired
        kinds = ("person", "animal") if rng.random() < 0.6 else ("thing", "place", "food", "seat")
        s = _sample_subject(rng, budget - 1, kinds)
        adj, past = rng.choice(_ADJS_FOR[s.noun.en if s.noun else "person"]), rng.random() < 0.35
        en, fr = _pred(s, adj, past, rng.random() < 0.12, adj.pos != "col" and rng.random() < 0.2)
        if past and budget - len(en) >= 1 and rng.random() < 0.3:
            en, fr = en + ["yesterday"], fr + ["hier"]
        return en, fr, False
    s = _sample_subject(rng, budget)
    if r < 0.4 and (s.noun is None or "person" in s.noun.kinds):  # i have a dog, we had two cats
        past, neg, p = rng.random() < 0.3, rng.random() < 0.12, s.person
        obj = _sample_np(rng, ("animal", "thing"), budget - len(s.en) - 1 - 2 * neg, "def" if neg else "any")
        en = s.en + (["did" if past else "does" if p == 2 else "do", "not", "have"] if neg
                     else ["had" if past else _HAVE[p]]) + obj.en
        finite = "av" + _IMPF[p] if past else _AVOIR[p]
        return en, s.fr + (["ne", finite, "pas"] if neg else [finite]) + obj.fr, False
    return *_sample_act(rng, s, budget), False


def _sample_sentence(rng: random.Random) -> Pair:
    r = rng.random()
    low, high = next((low, high) for cumulative, low, high in _LENGTHS if r < cumulative)
    target = rng.randint(low, high)  # clauses are added until the sentence reaches it
    while True:
        en, fr, because = _sample_clause(rng, target if target <= 18 else rng.randint(6, 16))
        while target - len(en) >= 4:
            conj_en, conj_fr = rng.choice(_CONJUNCTIONS[:6] if because else _CONJUNCTIONS)
            rest = target - len(en) - len(conj_en)
            clause_en, clause_fr, because = _sample_clause(rng, rest if rest <= 18 else rng.randint(6, 16))
            en, fr = en + list(conj_en) + clause_en, fr + list(conj_fr) + clause_fr
        if len(en) <= MAX_WORDS:
            return _render_en(en), _render_fr(fr)


def _lesson_pairs() -> list[Pair]:
    """The lesson's worked examples, built by the same grammar; always in the corpus and in train."""
    i, we, she = _pronoun(0), _pronoun(4), _pronoun(3)
    cat, eat, sleep, like = _NOUN["cat"], _VERB["eat"], _VERB["sleep"], _VERB["like"]
    cat_eating = _relative(_np(cat), *_act(_NP([], [], 2, False), eat, "pres", obj=_np(_NOUN["bread"])))
    clauses = [
        _act(i, eat, "prog"),
        _sat(_np(cat), "on", _np(_NOUN["mat"]), because=_ADJ["comfortable"]),
        _act(i, eat, "prog", "not", obj=_np(_NOUN["apple"])),
        _act(i, eat, "perf"),
        _act(we, eat, "perf", obj=_np(_NOUN["bread"])),
        _act(i, like, "pres", obj=_np(_NOUN["apple"], plural=True, post=_ADJ["red"])),
        _act(i, like, "pres", "not", obj=_np(_NOUN["milk"])),
        _act(_np(cat, pre=_ADJ["small"], post=_ADJ["black"]), sleep, "prog"),
        _act(_np(_NOUN["man"], pre=_ADJ["old"]), _VERB["read"], "prog", obj=_np(_NOUN["newspaper"])),
        _act(she, _VERB["go"], "perf", obj=_np(_NOUN["market"])),
        [a + b for a, b in zip(_act(cat_eating, sleep, "prog"), _pp("in", _np(_NOUN["garden"])),
                               strict=True)],
    ]
    return [(_render_en(en), _render_fr(fr)) for en, fr in clauses]


LESSON_PAIRS: list[Pair] = _lesson_pairs()


@functools.lru_cache(maxsize=4)
def _corpus(n: int, seed: int) -> tuple[Pair, ...]:
    rng = random.Random(seed)
    pairs = LESSON_PAIRS[:n]
    seen = {en for en, _ in pairs}  # membership only: iteration order of a set never reaches the output
    for _ in range(50 * n):
        if len(pairs) >= n:
            break
        en, fr = _sample_sentence(rng)
        if en not in seen:
            seen.add(en)
            pairs.append((en, fr))
    if len(pairs) < n:
        raise RuntimeError(f"could only generate {len(pairs)} unique sentence pairs, asked for {n}")
    return tuple(pairs)


def generate_corpus(n: int = DEFAULT_SIZE, seed: int = 0) -> list[Pair]:
    """n unique pairs (unique English side); the same (n, seed) always gives the same list."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return list(_corpus(n, seed))
