"""`improvise leadsheet show|check` and `improvise corpus wjd`: malformed files of every format the
lead-sheet reader takes (text, MusicXML and .mxl, Impro-Visor .ls, iReal Pro links and HTML, the
standards JSON, WJD folders), absurd flags, and valid tiny inputs that must succeed."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from urllib.parse import quote

from tests.fuzz.common import GARBAGE, WORDS, flag_cases
from tests.fuzz.harness import Case

TEXT = "title: Fuzz Blues\ntime: 4/4\nkey: F\n|: F7 | Bb7 :| C7#9 | F#m7 B7/D# |1 N.C. :|2 Ebmaj7 |\n"
IMPRO = (
    "(title Fuzz)\n(meter 4 4)\n(key -1)\n(part (type chords))\n(section (style swing))\n"
    "F7 | Bb7 / B7 | Cm7/Bb F#7#9 | NC |\n(part (type melody))\nf+4 c+8 a8 eb+4 c+8/3 a8/3 f8/3 r2 g4. bb8\n"
)
CHART = "T44{*AF7 Bb7 |C-7 F7 |N1D-7 G7 }|N2Gb^7 p |*BF#-7b5 B7b9 |x |E-7(A7) n |Z"


def xml(
    measures: str,
    time: str = "<time><beats>4</beats><beat-type>4</beat-type></time>",
    divisions: str = "1",
    root: str = "score-partwise",
) -> str:
    """A one-part MusicXML score; `measures` is the body after the first measure's attributes."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} version="3.1"><part-list><score-part id="P1">'
        f'<part-name>x</part-name></score-part></part-list><part id="P1"><measure number="1"><attributes>'
        f"<divisions>{divisions}</divisions><key><fifths>-1</fifths></key>{time}</attributes>{measures}"
        f"</measure></part></{root}>"
    )


def harmony(step: str, kind: str = "dominant", alter: str = "", dur: str = "4") -> str:
    alt = f"<root-alter>{alter}</root-alter>" if alter else ""
    return (
        f"<harmony><root><root-step>{step}</root-step>{alt}</root><kind>{kind}</kind></harmony>"
        f"<note><pitch><step>C</step><octave>4</octave></pitch><duration>{dur}</duration></note>"
    )


GOOD_XML = xml(harmony("F") + '</measure><measure number="2">' + harmony("B", "minor-seventh", "-1"))


def mxl(score: bytes, root_name: str = "score.xml", container: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if container:
            z.writestr(
                "META-INF/container.xml",
                f'<container><rootfiles><rootfile full-path="{root_name}"/></rootfiles></container>',
            )
        z.writestr(root_name, score)
    return buf.getvalue()


def ireal_link(chart: str = CHART, title: str = "Fuzz Tune", key: str = "F", more: str = "") -> str:
    """An irealb:// link of one song (and `more` songs' fields after it), scrambled as iReal Pro does."""
    from improvise.leadsheet.ireal import scramble

    song = f"{title}=Writer A==Medium Swing={key}=={scramble(chart)}=Jazz-Medium Swing=140=3"
    return "irealb://" + quote(song + more + "===Fuzz List", safe="")


def standards(tunes) -> str:
    return json.dumps(tunes)


def tune(title="T", chords="C7|F7", **extra) -> dict:
    return {
        "Title": title,
        "Key": "C",
        "TimeSignature": "4/4",
        "Sections": [
            {"Label": "A", "MainSegment": {"Chords": chords}, "Endings": [{"Chords": "G7"}, {"Chords": "C7"}]}
        ],
        **extra,
    }


def cases(fx) -> list[Case]:
    import music21.musicxml.xmlToM21  # noqa: F401  (imported once here, before the children fork)

    c = _flag_cases(fx) + _text_cases(fx) + _xml_cases(fx) + _impro_cases(fx) + _ireal_cases(fx)
    c += _standards_cases(fx) + _wjd_cases(fx)
    return c


def _show(name: str, f, expect=None, ok=False, extra=None) -> Case:
    return Case(
        f"leadsheet/{name}",
        ["leadsheet", "show", str(f), *(extra or [])],
        expect=(str(f) if expect is None and not ok else expect),
        ok=ok,
    )


def _flag_cases(fx) -> list[Case]:
    good = fx.write("ls-good.txt", TEXT)
    wjd = fx.built("ls_wjd", lambda f: __import__("tests.fuzz.cases_solo", fromlist=["x"]).write_tiny_wjd(f))
    c = [
        _show(f"key/{k}", good, expect="key", extra=["--key", v])
        for k, v in enumerate(["H", "1", "Cx", "zz", "é", "--"])
    ]
    c += flag_cases(
        "leadsheet/wjd-flags",
        ["corpus", "wjd", str(wjd)],
        {"--steps-per-beat": (1, 48, True), "--show": (0, 100_000, True)},
    )
    c += [
        Case(f"leadsheet/wjd-subset/{k}", ["corpus", "wjd", str(wjd), "--subset", v], expect="--subset")
        for k, v in enumerate(WORDS[:3])
    ]
    c += [
        Case(f"leadsheet/wjd-melid/{k}", ["leadsheet", "show", v, "--wjd", str(wjd)], expect=v.split(":")[0])
        for k, v in enumerate(["wjd:abc", "wjd:-1", "wjd:99999999999999999999", "wjd:", "wjd:1.5"])
    ]
    c += [
        Case("leadsheet/wjd-melid/absent", ["leadsheet", "show", "wjd:999", "--wjd", str(wjd)], expect="999"),
        Case("leadsheet/wjd-melid/no-folder", ["leadsheet", "show", "wjd:1"], expect="--wjd"),
        Case(
            "leadsheet/wjd-melid/folder-missing",
            ["leadsheet", "show", "wjd:1", "--wjd", str(fx.path("nw"))],
            expect="nw",
        ),
        Case("leadsheet/title-no-standards", ["leadsheet", "show", "Some Title"], expect="--standards"),
        Case("leadsheet/folder-as-sheet", ["leadsheet", "show", str(wjd)], expect=str(wjd)),
        Case(
            "leadsheet/check-missing", ["leadsheet", "check", str(fx.path("none.json"))], expect="none.json"
        ),
        Case("leadsheet/check-folder", ["leadsheet", "check", str(wjd)], expect=str(wjd)),
        Case("leadsheet/ok/wjd-changes", ["leadsheet", "show", "wjd:3", "--wjd", str(wjd)], ok=True),
        Case(
            "leadsheet/ok/corpus-wjd", ["corpus", "wjd", str(wjd), "--steps-per-beat", "3", "--to-c"], ok=True
        ),
        _show("ok/text-json", good, ok=True, extra=["--json", "--key", "Bb"]),
    ]
    return c


def _text_cases(fx) -> list[Case]:
    bad = {
        "empty": "",
        "comments-only": "# x\n  # y\n; z\n",
        "meta-only": "title: x\nkey: F\n",
        "time-huge": "time: 99999999/4\n| C |",
        "time-zero": "time: 0/4\n| C |",
        "time-den": "time: 4/0\n| C |",
        "time-seven-eight": "time: 7/8\n| C |",
        "time-words": "time: four\n| C |",
        "time-three": "time: 4/3\n| C |",
        "time-long": "time: " + "9" * 5000 + "/4\n| C |",
        "too-many-bars": "| C " * 10_001 + "|",
        "bar-too-full": "| " + "C " * 300 + "|",
        "repeat-past-max": "|: " + "C | " * 6000 + ":|",
        "binary": GARBAGE["random"],
        "zeros": GARBAGE["zeros"],
        "utf16": GARBAGE["utf16"],
        "huge-file": b"| C |" * (4 << 20),
    }
    c = [_show(f"text/{k}", fx.write(f"ls-text-{k}.txt", v)) for k, v in bad.items()]
    good = {
        "plain": TEXT,
        "unparsed": "| C7 | Qm7 | H7 |\n",
        "unclosed-repeat": "|: C7 | F7 |\n",
        "repeat-run": "| C :| " * 3000,
        "sharps": "| C7#9 | F#m7 B7 | E | A7b6/E | Eb7/B6 | D13b9 | CM69 |",
        "endings-three": "|: A |1 B :|2 C :|3 D |",
        "huge-line": "x" * 1_000_000 + "\n| C |",
        "latin1": "title: Caf\xe9\n| C |".encode("latin-1"),
        "crlf": TEXT.replace("\n", "\r\n"),
        "stray-marks": "| [ C ] | :| |: ||: :|| |] ]|\n",
        "ending-no-repeat": "| C |1 D |2 E |",
    }
    c += [_show(f"ok/text-{k}", fx.write(f"ls-text-ok-{k}.txt", v), ok=True) for k, v in good.items()]
    return c


def _xml_cases(fx) -> list[Case]:
    big_zip = io.BytesIO()
    with zipfile.ZipFile(big_zip, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("score.xml", b"\0" * (70 << 20))
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
        '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
        '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>'
        "<score-partwise>&h;</score-partwise>"
    )
    bad = {
        "truncated": GOOD_XML[: len(GOOD_XML) // 2],
        "not-xml": "hello",
        "empty": "",
        "binary": GARBAGE["random"],
        "json": "[1, 2]",
        "timewise": xml(harmony("F"), root="score-timewise"),
        "time-huge": xml(harmony("F"), time="<time><beats>99999999</beats><beat-type>4</beat-type></time>"),
        "time-den": xml(harmony("F"), time="<time><beats>4</beats><beat-type>3</beat-type></time>"),
        "time-words": xml(harmony("F"), time="<time><beats>x</beats><beat-type>4</beat-type></time>"),
        "time-seven-eight": xml(harmony("F"), time="<time><beats>7</beats><beat-type>8</beat-type></time>"),
        "time-sum-huge": xml(harmony("F"), time="<time><beats>60+60</beats><beat-type>4</beat-type></time>"),
        "divisions-huge": xml(harmony("F"), divisions="1e300"),
        "divisions-nan": xml(harmony("F"), divisions="nan"),
        "divisions-zero": xml(harmony("F"), divisions="0"),
        "duration-huge": xml(harmony("F", dur="1e12")),
        "duration-negative": xml(harmony("F", dur="-4")),
        "no-chords": xml("<note><rest/><duration>4</duration></note>"),
        "time-change": xml(
            harmony("F") + '</measure><measure number="2"><attributes><time><beats>3</beats>'
            "<beat-type>4</beat-type></time></attributes>" + harmony("C", dur="3")
        ),
        "too-many-measures": xml(
            harmony("F") + "".join(f'</measure><measure number="{k}">' for k in range(2, 10_003))
        ),
        "entity-bomb": bomb,
        "doctype-external": '<?xml version="1.0"?><!DOCTYPE s SYSTEM "http://localhost:1/x.dtd">'
        "<score-partwise/>",
    }
    c = [_show(f"musicxml/{k}", fx.write(f"ls-xml-{k}.musicxml", v)) for k, v in bad.items()]
    mx = {
        "garbage": GARBAGE["zip"],
        "random": GARBAGE["random"],
        "empty-zip": mxl(b"", container=False)[:22],
        "no-score": mxl(b"hello", root_name="readme.txt", container=False),
        "bad-score": mxl(b"<not closed"),
        "unpacks-huge": big_zip.getvalue(),
        "truncated": mxl(GOOD_XML.encode())[:60],
    }
    c += [_show(f"mxl/{k}", fx.write(f"ls-mxl-{k}.mxl", v)) for k, v in mx.items()]
    c += [
        _show("ok/musicxml", fx.write("ls-xml-ok.musicxml", GOOD_XML), ok=True),
        _show("ok/xml-extension", fx.write("ls-xml-ok.xml", GOOD_XML), ok=True),
        _show("ok/mxl", fx.write("ls-mxl-ok.mxl", mxl(GOOD_XML.encode())), ok=True),
        _show("ok/sniffed-xml", fx.write("ls-xml-sniffed.txt", GOOD_XML), ok=True),
        _show("ok/sniffed-mxl", fx.write("ls-mxl-sniffed", mxl(GOOD_XML.encode())), ok=True),
        _show(
            "ok/mxl-container-names-nothing",
            fx.write(
                "ls-mxl-container.mxl",
                mxl(GOOD_XML.encode()).replace(b'full-path="score.xml"', b'full-path="nope.xml"'),
            ),
            ok=True,
        ),
    ]  # the score inside is found
    return c


def _impro_cases(fx) -> list[Case]:
    bad = {
        "unbalanced-open": "(title x\n F7 | Bb7 |",
        "unbalanced-close": ")) F7 |",
        "deep": "(" * 1000 + ")" * 1000,
        "meter-huge": "(meter 99999999 4)\nF7 |",
        "meter-words": "(meter four 4)\nF7 |",
        "meter-den": "(meter 4 5)\nF7 |",
        "empty": "",
        "no-chords": "(title x)\n(part (type melody))\nc4 d4 e4\n",
        "binary": GARBAGE["random"],
        "too-many-bars": "(title x)\n" + "F7 | " * 10_001,
        "too-many-notes": "(title x)\nF7 |\n" + "c16 " * 200_001,
    }
    c = [_show(f"impro/{k}", fx.write(f"ls-impro-{k}.ls", v)) for k, v in bad.items()]
    good = {
        "plain": IMPRO,
        "bad-notes": IMPRO + "q4 c99999 c+++++++++++8 c8/0 c0 r8..... c4+\n",
        "unknown-chords": "(title x)\nF7 | Hm7 | Bbfoo |\n",
        "unknown-directives": "(foo (bar baz))\n(key 99)\nC |",
        "sniffed": IMPRO,
    }
    names = {"sniffed": "ls-impro-sniffed.txt"}
    c += [
        _show(f"ok/impro-{k}", fx.write(names.get(k, f"ls-impro-ok-{k}.ls"), v), ok=True)
        for k, v in good.items()
    ]
    return c


def _ireal_cases(fx) -> list[Case]:
    two = ireal_link(
        more="===Second=Writer B==Ballad=Bb==" + _scr("T34Bb^7 |G-7 |C-7 F7 |Bb^7 Z") + "=Jazz=60=3"
    )
    links = {
        "empty-link": "irealb://",
        "no-songs": "irealb://nothing%20here",
        "book-short": "irealbook://a=b=c",
        "time-bad": ireal_link("T99C7 |F7 Z"),
        "time-seven-eight": ireal_link("T78C7 |F7 Z"),
        "time-change": ireal_link("T44C7 |T34F7 Z"),
        "two-songs": two,
        "too-many-bars": ireal_link("T44C7 " + "|x " * 10_001 + "Z"),
        "repeats-past-max": ireal_link("T44" + "{C7 |F7 }" * 6000),
    }
    c = [_show(f"ireal/{k}", fx.write(f"ls-ireal-{k}.txt", v), expect="ls-ireal") for k, v in links.items()]
    c += [
        Case(
            "leadsheet/ireal/pick-missing",
            ["leadsheet", "show", str(fx.write("ls-ireal-pick.html", _html(two))) + "#Nope"],
            expect="Nope",
        ),
        Case("leadsheet/ireal/bare-bad", ["leadsheet", "show", "irealb://%ZZ%%"], expect="iReal"),
        Case("leadsheet/ireal/bare-book-bad", ["leadsheet", "show", "irealbook://x"], expect="iReal"),
    ]
    good = {
        "link": ireal_link(),
        "html": _html(ireal_link()),
        "unknown-marks": ireal_link("T44C7 @ & ^ |F7 ~Z"),
        "jumps": ireal_link("T44*AC7 |F7 <D.C. al Coda> |QG7 Z"),
        "book": "irealbook://Book=Me=Swing=C=n=C7 |F7 Z",
        "unparsed": ireal_link("T44Hx7 |F7 |W |Z"),
        "percent-garbage": ireal_link() + "%ZZ",
    }
    c += [
        _show(
            f"ok/ireal-{k}", fx.write(f"ls-ireal-ok-{k}" + (".html" if k == "html" else ".txt"), v), ok=True
        )
        for k, v in good.items()
    ]
    pl = fx.write("ls-ireal-playlist.html", _html(two))
    c += [
        Case("leadsheet/ok/ireal-pick-title", ["leadsheet", "show", f"{pl}#Second"], ok=True),
        Case("leadsheet/ok/ireal-pick-number", ["leadsheet", "show", f"{pl}#1"], ok=True),
        Case("leadsheet/ok/ireal-bare", ["leadsheet", "show", ireal_link()], ok=True),
    ]
    return c


def _scr(chart: str) -> str:
    from improvise.leadsheet.ireal import scramble

    return scramble(chart)


def _html(link: str) -> str:
    return f'<html><body><h1>Fuzz List</h1><a href="{link}">songs</a></body></html>'


def _standards_cases(fx) -> list[Case]:
    bad = {
        "not-json": "[{",
        "empty": "",
        "object": "{}",
        "numbers": "[1, 2]",
        "no-sections": '[{"Title": "T"}]',
        "sections-string": standards([{"Title": "T", "Sections": "A"}]),
        "main-string": standards([{"Title": "T", "Sections": [{"MainSegment": "C7"}]}]),
        "chords-number": standards([{"Title": "T", "Sections": [{"MainSegment": {"Chords": 7}}]}]),
        "endings-dict": standards([tune(Sections=[{"MainSegment": {"Chords": "C"}, "Endings": {"a": 1}}])]),
        "ending-string": standards([tune(Sections=[{"MainSegment": {"Chords": "C"}, "Endings": ["G7"]}])]),
        "time-words": standards([tune(TimeSignature="four")]),
        "time-huge": standards([tune(TimeSignature="999/4")]),
        "too-many-bars": standards([tune(chords="|".join(["C"] * 10_001))]),
        "deep": "[" * 100_000 + "]" * 100_000,
        "binary": GARBAGE["random"],
    }
    c = []
    file_level = ("not-json", "empty", "object", "numbers", "no-sections", "deep", "binary")
    for k, v in bad.items():
        f = fx.write(f"ls-std-{k}.json", v)
        expect = str(f) if k in file_level else "T"  # a tune's own error names the tune
        c.append(
            Case(f"leadsheet/standards/{k}", ["leadsheet", "show", "T", "--standards", str(f)], expect=expect)
        )
        c.append(Case(f"leadsheet/check/{k}", ["leadsheet", "check", str(f)], expect=expect))
    odd = fx.write("ls-std-odd-titles.json", standards([tune(None), tune(42), tune(["x"]), tune("Real One")]))
    c += [
        Case(
            "leadsheet/ok/standards-null-titles",
            ["leadsheet", "show", "Real One", "--standards", str(odd)],
            ok=True,
        ),
        Case(
            "leadsheet/standards-no-title",
            ["leadsheet", "show", "Nope", "--standards", str(odd)],
            expect="Nope",
        ),
        Case(
            "leadsheet/ok/standards-numeric-title",
            ["leadsheet", "show", "42", "--standards", str(odd)],
            ok=True,
        ),
        Case("leadsheet/ok/check-odd-titles", ["leadsheet", "check", str(odd)], ok=True),
        _show(
            "ok/standards-one-tune",
            fx.write("ls-std-one.json", standards([tune("Solo", "C7,F7|Bb7,(A7)")])),
            ok=True,
        ),
        _show("standards-two-tunes", fx.write("ls-std-two.json", standards([tune("A"), tune("B")]))),
    ]
    return c


def _wjd_folder(fx, name: str, notes: bytes | str | None, solos: str | None):
    from tests.fuzz.cases_solo import write_tiny_wjd

    folder = write_tiny_wjd(fx.path(f"wjd-{name}"), n_solos=4)
    if notes is not None:
        data = notes.encode() if isinstance(notes, str) else notes
        (folder / "wjd_notes.csv.gz").write_bytes(data if data[:2] != b"CS" else gzip.compress(data[2:]))
    if solos is not None:
        (folder / "wjd_solos.csv").write_text(solos)
    return folder


def _wjd_cases(fx) -> list[Case]:
    from tests.fuzz.cases_solo import NOTES_HEADER, SOLOS_HEADER

    def rows(*lines: str) -> bytes:  # 'CS' marks text to gzip
        return b"CS" + (NOTES_HEADER + "\n".join(lines) + "\n").encode()

    row = "1,1,1,1,1,4,1,1,0.0,0.4,65,F7,F-maj"
    bad = {
        "notes-garbage": (GARBAGE["random"], None),
        "notes-empty": (b"", None),
        "notes-not-gzip": ("melid\n1\n", None),
        "notes-truncated": (gzip.compress(((NOTES_HEADER + row + "\n") * 200).encode())[:100], None),
        "notes-binary-gz": (gzip.compress(GARBAGE["random"]), None),
        "notes-missing-column": (b"CSmelid,bar\n1,1\n", None),
        "notes-short-row": (rows("1,1,1"), None),
        "pitch-huge": (rows(row.replace(",65,", ",999,")), None),
        "bar-huge": (rows(row, "1,99999999999,1,1,1,4,1,1,0,0.4,65,F7,x"), None),
        "beat-zero": (rows(row.replace("1,1,1,1,1,4", "1,1,0,1,1,4")), None),
        "duration-nan": (rows(row.replace("0.4", "nan")), None),
        "chord-bad": (rows(row.replace("F7", "Hx7")), None),
        "melid-words": (rows(row.replace("1,", "x,", 1)), None),
        "beats-huge": (rows(row.replace(",4,1,1,", ",9999,1,1,")), None),
        "solos-missing-column": (None, "melid,title\n1,x\n"),
        "solos-garbage": (None, "\x00\x01\x02"),
        "solos-melid-words": (None, SOLOS_HEADER + "one,P,T,ts,B,S,F-maj,4/4,160,BLUES,,1,0,\n"),
        "solos-short-row": (None, SOLOS_HEADER + "1,P\n"),
        "long-solo": (rows(row, "1,60000,1,1,1,4,1,1,0,0.4,65,F7,x"), None),
    }
    c = []
    for k, (notes, solos) in bad.items():
        folder = _wjd_folder(fx, k, notes, solos)
        c.append(Case(f"leadsheet/wjd/{k}", ["corpus", "wjd", str(folder)], expect=str(folder)))
        c.append(
            Case(
                f"leadsheet/wjd-show/{k}",
                ["leadsheet", "show", "wjd:1", "--wjd", str(folder)],
                expect=str(folder),
            )
        )
    odd = _wjd_folder(
        fx,
        "odd-tempo",
        None,
        SOLOS_HEADER + "1,P,T,ts,B,S,F-maj,4/4,nan,BLUES,,1,0,\n"
        "2,P,T,ts,B,S,,4/4,,BLUES,,1,0,\n3,P,T,ts,B,S,xx,4/4,-5,X,,1,0,\n4,P,T,ts,B,S,F,4/4,1e308,,,1,0,\n",
    )
    c += [
        Case(
            "leadsheet/ok/wjd-odd-tempo", ["corpus", "wjd", str(odd), "--to-c", "--subset", "blues"], ok=True
        ),
        Case(
            "leadsheet/wjd/folder-is-file",
            ["corpus", "wjd", str(fx.write("wjd-file", "x"))],
            expect="wjd-file",
        ),
        Case("leadsheet/wjd/missing", ["corpus", "wjd", str(fx.path("wjd-none"))], expect="wjd-none"),
    ]
    return c
