"""The reference a cold page load is measured against: what this browser, on this machine, needs only to load and
evaluate plotly.js, which every page that draws a Plotly chart must do before its first chart appears.

A student's first visit pays it once, and no server change can make it smaller: Streamlit ships the whole of
plotly.js (about 4.6 MB) in its PlotlyChart chunk. On a 2-core machine whose browser shares the CPU with the
server it takes well over a second, which is why `classroom.cold_load_s.PAGE` is also given as a ratio to it
(`classroom.cold_load_ratio.PAGE`), measured in the same run and the same browser.

The script comes from the plotly Python package (the same library, no network): a blank page served by
Playwright's router loads it with a <script> tag and draws one heatmap.
"""
from __future__ import annotations

import statistics
from pathlib import Path

ORIGIN = "http://floor.invalid"  # answered by the page's router, never looked up
MEASURE = """async () => {
  const t0 = performance.now();
  await new Promise((done, fail) => {
    const s = document.createElement('script');
    s.src = '/plotly.min.js'; s.onload = done; s.onerror = fail;
    document.head.appendChild(s);
  });
  const t1 = performance.now();
  const z = Array.from({length: 30}, (_, i) => Array.from({length: 30}, (_, j) => Math.sin(i * j)));
  await Plotly.newPlot('chart', [{type: 'heatmap', z}]);
  return [(t1 - t0) / 1000, (performance.now() - t1) / 1000];
}"""


def plotly_js() -> Path:
    """plotly.min.js as the installed plotly package ships it."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the plotly package ships no plotly.min.js")
    return path


def plotly_floor(browser, repeats: int = 3) -> dict:
    """Median seconds, over `repeats` fresh browser contexts, to load and evaluate plotly.js (`load_s`) and then
    draw one 30×30 heatmap (`first_chart_s`)."""
    body = plotly_js().read_bytes()
    loads, charts = [], []
    for _ in range(repeats):
        context = browser.new_context()
        try:
            page = context.new_page()
            page.route(f"{ORIGIN}/plotly.min.js",
                       lambda route: route.fulfill(body=body, content_type="text/javascript"))
            page.route(f"{ORIGIN}/", lambda route: route.fulfill(
                body="<!doctype html><html><body><div id=chart></div></body></html>", content_type="text/html"))
            page.goto(f"{ORIGIN}/")
            load_s, chart_s = page.evaluate(MEASURE)
            loads.append(load_s)
            charts.append(chart_s)
        finally:
            context.close()
    return {"load_s": statistics.median(loads), "first_chart_s": statistics.median(charts),
            "kb": round(len(body) / 1024)}


def cold_load_ratios(cold: dict[str, float], floor_s: float) -> dict[str, float]:
    """Each page's cold load divided by the floor: 1.0 would mean the page costs nothing beyond plotly.js."""
    if floor_s <= 0:
        raise ValueError(f"the floor must be positive, got {floor_s}")
    return {page: round(seconds / floor_s, 2) for page, seconds in cold.items()}


def plotly_figures(floor: dict, cold: dict[str, float]) -> dict:
    """The floor (plotly_floor's result) and each page's cold load as a ratio to it, as classroom.* keys."""
    out = {"classroom.plotly_eval_s": round(floor["load_s"], 3),
           "classroom.plotly_first_chart_s": round(floor["first_chart_s"], 3)}
    out.update({f"classroom.cold_load_ratio.{page}": ratio
                for page, ratio in cold_load_ratios(cold, floor["load_s"]).items()})
    return out
