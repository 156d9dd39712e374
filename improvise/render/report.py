"""report.html: one self-contained page per run (relative links only, no network) with the
metrics, the pictures, the score, an audio player and the config.

A small inline script checks on load that every picture and the audio loaded and shows a
warning if one did not; it also records the result on <body data-...> for automated checks.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from improvise.core.runs import write_bytes

CHECK_SCRIPT = """
<script>
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  var audio = document.querySelector('audio');
  function report() {
    var b = document.body;
    b.dataset.images = imgs.length;
    b.dataset.brokenImages = broken.length;
    b.dataset.audioDuration = audio ? (audio.duration || 0) : -1;
    b.dataset.checked = 'yes';
    if (broken.length || (audio && !(audio.duration > 0))) {
      document.getElementById('load-warning').textContent =
        'Some media did not load: ' + broken.map(function (i) { return i.getAttribute('src'); }).join(', ') +
        (audio && !(audio.duration > 0) ? ' audio' : '');
    }
  }
  if (!audio || audio.readyState >= 1) { report(); }
  else { audio.addEventListener('loadedmetadata', report); audio.addEventListener('error', report); }
});
</script>
"""

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; } pre { background: #f7f7f7; padding: 1em; overflow-x: auto; }
#load-warning { color: #b00; font-weight: bold; }
"""


def _row(name: str, value) -> str:
    shown = f"{value:.3f}" if isinstance(value, float) else html.escape(str(value))
    return f"<tr><td>{html.escape(name)}</td><td>{shown}</td></tr>"


def write_report(
    run_dir: Path,
    *,
    title: str,
    metrics: dict,
    config: dict,
    grid: str,
    pictures: list[tuple[str, str]],
    audio: str | None,
    score_svg: str | None,
    downloads: list[str],
    notes: list[str],
) -> Path:
    """Write run_dir/report.html; every path given is relative to run_dir."""
    gen, train = metrics.get("generation", {}), metrics.get("train", {})
    # wall-clock figures stay in metrics.json: the page holds what the seed fixes, the same bytes every run
    rows = [_row(k, v) for k, v in gen.items() if isinstance(v, (int, float)) and "seconds" not in k]
    rows += [
        _row(f"train: {k}", v) for k, v in train.items() if isinstance(v, (int, float)) and "seconds" not in k
    ]
    rows += [_row(f"train: teacher-forced {k}", v) for k, v in train.get("teacher_forced", {}).items()]
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p id='load-warning'></p>",
    ]
    parts += [f"<p>{html.escape(n)}</p>" for n in notes]
    if audio:
        parts.append(f"<h2>Listen</h2><audio controls preload='metadata' src='{html.escape(audio)}'></audio>")
    parts.append(
        "<p>Download: "
        + " · ".join(f"<a href='{html.escape(d)}'>{html.escape(d)}</a>" for d in downloads)
        + "</p>"
    )
    parts.append("<h2>Metrics</h2><table><tr><th>metric</th><th>value</th></tr>" + "".join(rows) + "</table>")
    parts.append(f"<h2>The first chorus, bar by bar</h2><pre>{html.escape(grid)}</pre>")
    if score_svg:
        parts.append(f"<h2>Lead sheet</h2><img src='{html.escape(score_svg)}' alt='lead sheet'>")
    for caption, src in pictures:
        parts.append(
            f"<h2>{html.escape(caption)}</h2><img src='{html.escape(src)}' alt='{html.escape(caption)}'>"
        )
    parts.append(f"<h2>Config</h2><pre>{html.escape(json.dumps(config, indent=2))}</pre>")
    parts.append(CHECK_SCRIPT + "</body></html>")
    path = Path(run_dir) / "report.html"
    write_bytes(path, "\n".join(parts).encode())
    return path
