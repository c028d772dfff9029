"""Search of the catalogue, its pure rules: normalised tokens of an item, the index rows they
make, and the rules a query's rows are checked and ranked by. The table adapter is
:mod:`viewra.storage.search_index`; nothing here does I/O or imports storage.

An item's tokens (case and accents folded, split on anything that is not a letter or digit, any
script) fall in two classes: 1 for its title and original title, 2 for the other fields (series,
episode title, artist, album, album artist, cast, file name). Each distinct token makes one row,
in the partition of its first three characters (the whole token when shorter), sorted by class
then token: a query word of three or more characters is a prefix read of one partition, so
type-ahead reads about the rows it returns. One more row (class 0) keys the whole normalised
title, for the exact match that ranks first. A query's words are ANDed and each may be a prefix.

A query of one word (or whose other words are shorter than a partition name) reads the rows of
its longest word and checks the others on each row (a row carries the item's tokens). A query of
two or more words of three or more characters reads pair rows instead, so it reads about as many
rows as it answers: per unordered pair of an item's distinct tokens ``x < y`` (of three or more
characters), one row in the partition of (``x``'s shard, ``y``'s shard) sorted by class then
``y``. Two query words that are not prefixes of each other compare as any tokens they start do,
so the query reads the pair partition of its two longest words, ``begins_with`` the larger one,
and checks the rest on the row. An item pairs its first ``PAIR_CAP`` tokens (title, original
title, then series, episode title, artist, album, album artist, file name, cast names): at most
``PAIR_CAP * (PAIR_CAP - 1) / 2`` rows. An item with more tokens also gets overflow rows (one per
token past the cap, as the plain rows, in ``+``-prefixed partitions, naming its paired tokens),
which a pair query reads after its pair rows (for either word: a pair without a pair row has a
token past the cap): still correct, bounded and resumable, ranked after the pairs.

The same table holds the genre facet: per genre of the item, one row per listing sort (title,
date added, year) in the partition of that genre for its library and for all libraries
(:func:`genre_partition`), so a genre filter reads the rows of its genre in the order asked
and no item of another genre.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from viewra.media.models.catalogue import sort_title
from viewra.media.models.items import ItemStatus, MediaItem

SHARD = 3  # characters of a token that name its partition
MAX_TOKEN = 40  # longer runs (hashes, ids in file names) are cut: nobody types them
EXACT = "="  # the partition prefix of exact-title rows
MAX_WORDS = 8  # query words beyond these are ignored
MAX_EXACT = 200  # characters of a normalised title in its exact-match partition
FACET = "#"  # the partition prefix of facet rows (a token is letters and digits: never this)
MAX_FACET = 100  # characters of a genre in its partition name
FACET_SORTS = {"title": "t", "added": "a", "year": "y"}  # listing sort → sort key's first letter
PAIR = "&"  # the partition prefix of pair rows
OVER = "+"  # the partition prefix of the overflow rows of an item with more than PAIR_CAP tokens
PAIR_CAP = 16  # distinct tokens of an item that are paired: at most 120 pair rows
ROWS_VERSION = 2  # what rows an item has; 2: pair and overflow rows (a reindex rewrites older)
SEP = "\x01"  # between a sort value and the item id: below every character of a value
ALL_SCOPE = "all"  # the facet partition of every library

_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Case and accents folded: NFKD, combining marks dropped, casefolded (ß → ss, Å → a)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", stripped.casefold())


def tokens(text: str | None) -> list[str]:
    """The normalised words of ``text`` in order (letters and digits of any script)."""
    if not text:
        return []
    return [w[:MAX_TOKEN] for w in _WORD.findall(fold(text))]


def normal_title(text: str | None) -> str:
    return " ".join(tokens(text))


def shard(token: str) -> str:
    return token[:SHARD]


def exact_partition(title: str) -> str:
    return EXACT + title[:MAX_EXACT]


def _file_stem(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def pair_partition(x: str, y: str) -> str:
    """The partition of the pair rows of tokens starting ``x`` and ``y`` (``x < y``)."""
    return f"{PAIR}{shard(x)} {shard(y)}"


def overflow_partition(token: str) -> str:
    return OVER + shard(token)


@dataclass(frozen=True)
class ItemTerms:
    """What an item is found by."""

    title: str  # the normalised title (the exact match)
    titles: tuple[str, ...]  # class 1 tokens, sorted, distinct
    others: tuple[str, ...]  # class 2 tokens not in class 1, sorted, distinct
    ranked: tuple[str, ...] = ()  # every distinct token, in the order fields pair them


def item_terms(item: MediaItem) -> ItemTerms:
    meta = item.metadata
    title_words = tokens(item.title or _file_stem(item.key))
    if meta and meta.original_title:
        title_words += tokens(meta.original_title)
    other_fields = [
        item.series,
        item.episode_title,
        item.artist,
        item.album,
        item.album_artist,
        _file_stem(item.key),
        *((p.name for p in meta.cast) if meta else ()),
    ]
    other_words = [t for f in other_fields for t in tokens(f)]
    titles = set(title_words)
    others = set(other_words) - titles
    return ItemTerms(
        title=normal_title(item.title or _file_stem(item.key)),
        titles=tuple(sorted(titles)),
        others=tuple(sorted(others)),
        ranked=tuple(dict.fromkeys(title_words + other_words)),
    )


def paired_tokens(terms: ItemTerms) -> tuple[list[str], bool]:
    """The tokens an item pairs (distinct, of a partition name's length or more, the first
    ``PAIR_CAP`` in field order) and whether some were left out (then it has overflow rows)."""
    long = [t for t in terms.ranked if len(t) >= SHARD]
    return long[:PAIR_CAP], len(long) > PAIR_CAP


@dataclass(frozen=True)
class IndexRow:
    """One row of the search table: partition ``p``, sort key ``r``, and what a query checks."""

    p: str
    r: str
    item_id: str
    library_id: str
    kind: str
    status: str
    title: str
    titles: str  # class 1 tokens, space-separated
    others: str  # class 2 tokens
    year: int = 0  # the item's year (0: none), so a facet read filters a year range on rows
    paired: str = ""  # on pair and overflow rows of an item over PAIR_CAP: its paired tokens


def genre_partition(genre: str, scope: str) -> str:
    """The facet partition of ``genre`` (case and accents folded) in a library, or in all
    (``ALL_SCOPE``)."""
    return f"{FACET}g:{fold(genre)[:MAX_FACET]}@{scope}"


def facet_sort_value(sort: str, item: MediaItem) -> str:
    """An item's value for a listing sort, as facet sort keys order it (years zero-padded)."""
    if sort == "title":
        return sort_title(item.title or item.key.rsplit("/", 1)[-1]) or "~"
    if sort == "added":
        return item.added_at or ""
    return f"{item.year or 0:04d}"


def facet_rows(item: MediaItem) -> list[IndexRow]:
    """The item's genre rows: per distinct genre, scope (its library, all) and sort, one row."""
    if item.status is ItemStatus.REMOVED:
        return []
    genres = {fold(g)[:MAX_FACET] for g in item.genres if fold(g)}
    rows = []
    for genre in sorted(genres):
        for scope in (item.library_id, ALL_SCOPE):
            for sort, code in FACET_SORTS.items():
                rows.append(
                    IndexRow(
                        p=genre_partition(genre, scope),
                        r=f"{code}{facet_sort_value(sort, item)}{SEP}{item.id}",
                        item_id=item.id,
                        library_id=item.library_id,
                        kind=item.kind.value,
                        status=item.status.value,
                        title="",
                        titles="",
                        others="",
                        year=item.year or 0,
                    )
                )
    return rows


def index_rows(item: MediaItem) -> list[IndexRow]:
    """The rows an item has in the search table (its tokens' and its genres'); none once it is
    removed."""
    if item.status is ItemStatus.REMOVED:
        return []
    terms = item_terms(item)
    common = {
        "item_id": item.id,
        "library_id": item.library_id,
        "kind": item.kind.value,
        "status": item.status.value,
        "title": terms.title,
        "titles": " ".join(terms.titles),
        "others": " ".join(terms.others),
        "year": item.year or 0,
    }
    exact = exact_partition(terms.title)
    rows = [IndexRow(p=exact, r=item.id, **common)] if terms.title else []
    for cls, words in (("1", terms.titles), ("2", terms.others)):
        for word in words:
            rows.append(IndexRow(p=shard(word), r=f"{cls}{word} {item.id}", **common))
    return rows + pair_rows(item.id, terms, common) + facet_rows(item)


def pair_rows(item_id: str, terms: ItemTerms, common: dict) -> list[IndexRow]:
    """An item's pair rows (per ``y`` of its paired tokens, one per shard of a smaller paired
    token) and, when it has more tokens than it pairs, its overflow rows."""
    paired, over = paired_tokens(terms)
    extra = {"paired": " ".join(paired)} if over else {}
    titles = set(terms.titles)
    rows = []
    for y in sorted(paired):
        cls = "1" if y in titles else "2"
        for x_shard in sorted({shard(x) for x in paired if x < y}):
            rows.append(
                IndexRow(p=pair_partition(x_shard, y), r=f"{cls}{y} {item_id}", **common, **extra)
            )
    for word in terms.ranked if over else ():
        if len(word) >= SHARD and word not in paired:  # a token past the cap: its overflow row
            cls = "1" if word in titles else "2"
            rows.append(
                IndexRow(p=overflow_partition(word), r=f"{cls}{word} {item_id}", **common, **extra)
            )
    return rows


@dataclass(frozen=True)
class SearchPlan:
    """A parsed query: the word read from the index (``lead``) and the rest, checked on rows;
    ``pair``, when set, is the other word of the pair partition read (``pair < lead``)."""

    text: str  # the whole query, normalised (the exact-title match)
    lead: str
    rest: tuple[str, ...]
    pair: str | None = None

    @property
    def exact_only(self) -> bool:
        """A lead shorter than a partition name matches whole tokens only."""
        return len(self.lead) < SHARD


def plan(query: str) -> SearchPlan | None:
    """None when the query has no word to look for."""
    words = list(dict.fromkeys(tokens(query)))[:MAX_WORDS]
    if not words:
        return None
    text = " ".join(words)
    # a word that starts another is implied by it (the same token may answer both)
    words = [w for w in words if not any(o != w and o.startswith(w) for o in words)]
    long = sorted((w for w in words if len(w) >= SHARD), key=len, reverse=True)
    if len(long) >= 2:  # the two longest: the likeliest to be rare; the larger is read
        pair, lead = sorted(long[:2])
        rest = tuple(w for w in words if w != lead)
        return SearchPlan(text=text, lead=lead, rest=rest, pair=pair)
    lead = max(words, key=len)  # the longest word: the fewest rows, the likeliest
    return SearchPlan(text=text, lead=lead, rest=tuple(w for w in words if w != lead))


def reads(search: SearchPlan) -> list[tuple[str, str | None]]:
    """The reads a query makes, in rank order: (partition, sort-key prefix; None for the whole
    partition). Exact title, then title tokens, then other fields; a pair query then reads the
    overflow rows of either word (tokens past an item's pair cap), for the items whose pair of
    tokens has no pair row."""
    exact = (exact_partition(search.text), None)
    lead = search.lead
    if search.pair is None:
        return [exact, (shard(lead), "1" + lead), (shard(lead), "2" + lead)]
    pairs = pair_partition(search.pair, lead)
    over = overflow_partition(lead)
    over_pair = overflow_partition(search.pair)
    pair = search.pair
    return [
        exact,
        (pairs, "1" + lead),
        (pairs, "2" + lead),
        (over, "1" + lead),
        (over, "2" + lead),
        (over_pair, "1" + pair),
        (over_pair, "2" + pair),
    ]


MAX_READS = 7  # the most reads a query makes (a cursor names one)


def _read_shard(partition: str) -> str:
    """The shard of the token a row's sort key names, from its partition."""
    if partition.startswith(PAIR):
        return partition.rsplit(" ", 1)[1]
    if partition.startswith(OVER):
        return partition[len(OVER) :]
    return partition


def _has_prefix(words: list[str], prefix: str) -> bool:
    return any(w.startswith(prefix) for w in words)


def _answering(words: list[str], lead: str, partition: str) -> list[str]:
    """The words a read of ``partition`` for ``lead`` finds (a short lead: itself only)."""
    read = _read_shard(partition)
    return [w for w in words if w.startswith(lead) and shard(w) == read]


def row_matches(row: IndexRow, search: SearchPlan) -> bool:
    """Whether a row read for ``search`` is the item's one answer in its rank, for every word.

    An item answers once per query: its exact-title row ranks first; a title row answers unless
    the exact row did; another field's row answers unless a title row did; within a class, the
    first of its tokens (in sort order) that starts with the lead answers, not the later ones.
    An item that pairs only some of its tokens answers from its pair rows when the pair read's
    two words start paired tokens, else from the overflow rows of the lead's unpaired token, else
    from those of the other word's.
    """
    titles = row.titles.split()
    others = row.others.split()
    every = titles + others
    if not all(_has_prefix(every, w) for w in (search.lead, *search.rest)):
        return False
    if row.p.startswith(EXACT):
        return row.p == exact_partition(search.text)
    cls, token = row.r[0], row.r[1:].rsplit(" ", 1)[0]
    if row.title and exact_partition(row.title) == exact_partition(search.text):
        return False  # the exact row answers for it
    lead = search.lead
    if search.pair is not None and row.paired:
        paired = set(row.paired.split())
        by_pairs = _has_prefix(paired, search.pair) and _has_prefix(paired, lead)
        if row.p.startswith(OVER):
            unpaired = [w for w in every if w not in paired]
            if by_pairs:
                return False  # its pair rows answer for it
            if not token.startswith(lead):  # a read of the other word's overflow rows
                if _has_prefix([w for w in unpaired if len(w) >= SHARD], lead):
                    return False  # the lead's overflow rows answer for it
                lead = search.pair
            titles = [w for w in titles if w not in paired]
            others = [w for w in others if w not in paired]
        elif not by_pairs:
            return False
        else:  # only paired tokens have pair rows: the first of those answers
            titles = [w for w in titles if w in paired]
            others = [w for w in others if w in paired]
    if cls == "2" and _answering(titles, lead, row.p):
        return False
    found = _answering(titles if cls == "1" else others, lead, row.p)
    return bool(found) and found[0] == token


def item_matches(item: MediaItem, search: SearchPlan) -> bool:
    """Whether the item as it is now answers the query (rows may lag a concurrent write)."""
    terms = item_terms(item)
    every = list(terms.titles + terms.others)
    if search.exact_only and search.lead not in every:
        return False
    return all(_has_prefix(every, w) for w in (search.lead, *search.rest))
