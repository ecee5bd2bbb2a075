"""The lesson path and the example sentences: what Home walks through, and what every sentence box offers.

Plain data, torch-free. Each step names the page and the query parameters that set it up, so a link
opens the page in the state the step talks about; `tests/app/test_lesson.py` checks that every preset
lands in the widgets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass(frozen=True)
class Example:
    label: str  # the lesson point it shows
    sentence: str
    reference: str  # the corpus's French; the shipped Transformer writes exactly this (a test checks)


EXAMPLES = (
    Example("the seed sentence", "I am eating", "je mange"),
    Example("what does “it” attend to?", "the cat sat on the mat because it was comfortable",
            "le chat s'est assis sur le tapis parce qu'il était confortable"),
    Example("adjectives move after the noun", "i like the red apples", "j'aime les pommes rouges"),
    Example("ne … pas wraps the verb", "i am not eating the apple", "je ne mange pas la pomme"),
    Example("elision and the passé composé", "the elephant did not leave", "l'éléphant n'est pas parti"),
    Example("a relative clause", "the cat that eats the bread is sleeping in the garden",
            "le chat qui mange le pain dort dans le jardin"),
    Example("30 words: the length effect",
            "some cows were not sleeping in the shop that was big and you hope that my girl does not make the "
            "cake for their beautiful sisters for the young sister",
            "des vaches ne dormaient pas dans le magasin qui était grand et tu espères que ma fille ne fait pas "
            "le gâteau pour leurs belles sœurs pour la jeune sœur"),
    Example("45 words: longer still",
            "she knows that his sad girls were cleaning the kitchen so she cleans the window that is on a table "
            "because she went to a beautiful school that is small and the men sat under the mat last night "
            "because you sat under her mat",
            "elle sait que ses filles tristes nettoyaient la cuisine donc elle nettoie la fenêtre qui est sur une "
            "table parce qu'elle est allée à une belle école qui est petite et les hommes se sont assis sous le "
            "tapis hier soir parce que tu t'es assis sous son tapis"),
)


@dataclass(frozen=True)
class Step:
    title: str
    text: str  # two or three sentences, in the project's own words
    figure: str  # the one figure to look at
    page: str  # url_path of the page
    params: dict = field(default_factory=dict)  # the preset, as query parameters

    def link(self, number: int) -> str:
        """The page's URL with the preset and the step number (which draws the Back / Next bar)."""
        return f"{self.page}?" + urlencode({**self.params, "step": number})
