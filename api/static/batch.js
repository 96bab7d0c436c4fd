// "Several URLs": the page's batch mode over /v1/batches. Active at /?batch (a form for a
// list of URLs) and /?batch=<id> (a batch's datasets, each verdict with a link to its
// report, refreshed while it runs). Plain JavaScript; everything from the API goes in as text.
"use strict";

(() => {
  const VERDICTS = ["valid", "invalid", "incomplete", "could-not-validate"];
  const POLL_MS = 1000;
  const { $, el, sleep, showProblem, getJSON, postJSON } = window.Page;
  let token = 0; // bumped when another batch is shown: stale polls stop

  function build() {
    const form = el("form", { id: "batch-form", class: "card", novalidate: true },
      el("div", { class: "field" },
        el("label", { for: "batch-urls", text: "URLs of the datasets, one per line" }),
        el("textarea", { id: "batch-urls", name: "urls", rows: 8, spellcheck: "false",
          "aria-describedby": "batch-help",
          placeholder: "https://example.org/a.ome.zarr\nhttps://example.org/b.ome.zarr" }),
        el("p", { id: "batch-help", class: "help",
          text: "Each URL is validated as its own job; lines starting with # are skipped." })),
      el("div", { class: "options" },
        el("div", { class: "field check" },
          el("input", { id: "batch-strict", type: "checkbox" }),
          el("label", { for: "batch-strict", text: "Strict: warnings (SHOULD) count as errors" })),
        el("button", { id: "batch-submit", type: "submit", text: "Validate all" })));
    const view = el("section", { id: "batch-view", class: "card", "aria-labelledby": "batch-title",
      hidden: true },
      el("h2", { id: "batch-title", text: "Batch" }),
      el("p", { id: "batch-status", "aria-live": "polite" }),
      el("progress", { id: "batch-bar", max: 1, value: 0, "aria-labelledby": "batch-title" }),
      el("p", {}, "Results: ", el("a", { id: "batch-jsonl", text: "JSON lines" }), " · ",
        el("a", { id: "batch-csv", text: "CSV" })),
      el("div", { class: "table-wrap" },
        el("table", { id: "batch-table" },
          el("thead", {}, el("tr", {},
            el("th", { scope: "col", text: "Dataset" }),
            el("th", { scope: "col", text: "Verdict" }),
            el("th", { scope: "col", text: "Errors" }),
            el("th", { scope: "col", text: "Warnings" }),
            el("th", { scope: "col", text: "Most frequent rules / why" }),
            el("th", { scope: "col", text: "Report" }))),
          el("tbody"))));
    const section = el("section", { id: "batch-mode", hidden: true }, form, view);
    $("main").prepend(section);
    form.addEventListener("submit", submit);
  }

  function setMode(batch) {
    for (const id of ["submit-form", "progress", "result"]) {
      if (batch) $(id).hidden = true;
    }
    if (!batch) $("submit-form").hidden = false;
    $("batch-mode").hidden = !batch;
    for (const link of document.querySelectorAll("[data-mode]")) {
      link.setAttribute("aria-current", (link.dataset.mode === "batch") === batch ? "page" : "false");
    }
  }

  async function submit(event) {
    event.preventDefault();
    const urls = $("batch-urls").value.split("\n").map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#"));
    if (!urls.length) {
      showProblem("Enter the URLs of the datasets, one per line.");
      $("batch-urls").focus();
      return;
    }
    showProblem("");
    $("batch-submit").disabled = true;
    try {
      const created = await postJSON("/v1/batches", { urls, strict: $("batch-strict").checked });
      history.pushState({ batch: created.id }, "", `/?batch=${encodeURIComponent(created.id)}`);
      follow(created.id);
    } catch (error) {
      showProblem(`Could not start: ${error.message}`);
    } finally {
      $("batch-submit").disabled = false;
    }
  }

  function row(dataset) {
    const verdict = dataset.verdict || dataset.status;
    const why = dataset.error
      || (dataset.top_rules || []).map((r) => `${r.rule} ×${r.count}`).join(", ");
    const report = dataset.job_id && dataset.verdict && dataset.verdict !== "could-not-validate"
      ? el("a", { href: `/?job=${encodeURIComponent(dataset.job_id)}`, text: "report" })
      : (dataset.job_id && !dataset.verdict
        ? el("a", { href: `/?job=${encodeURIComponent(dataset.job_id)}`, text: "progress" }) : "");
    return el("tr", { class: `verdict-${verdict}`, "data-url": dataset.url },
      el("td", { class: "target", text: dataset.url }),
      el("td", {}, el("span", { class: `badge ${verdict}`, text: verdict })),
      el("td", { class: "num", text: dataset.counts ? String(dataset.counts.error) : "" }),
      el("td", { class: "num", text: dataset.counts ? String(dataset.counts.warning) : "" }),
      el("td", { text: why || "" }),
      el("td", {}, report));
  }

  function render(batch) {
    const counts = VERDICTS.map((v) => `${batch.verdicts[v]} ${v}`).join(", ");
    $("batch-title").textContent = batch.status === "done" ? "Batch done" : "Validating…";
    $("batch-status").textContent = `${batch.done} of ${batch.total} datasets: ${counts}`;
    $("batch-bar").max = batch.total;
    $("batch-bar").value = batch.done;
    $("batch-jsonl").href = `${batch.results_url}?format=jsonl`;
    $("batch-csv").href = `${batch.results_url}?format=csv`;
    $("batch-table").tBodies[0].replaceChildren(...batch.datasets.map(row));
  }

  async function follow(id) {
    const mine = ++token;
    setMode(true);
    $("batch-form").hidden = true;
    $("batch-view").hidden = false;
    $("batch-status").textContent = "Waiting for the batch…";
    for (;;) {
      let batch;
      try {
        batch = await getJSON(`/v1/batches/${encodeURIComponent(id)}`, () => mine !== token);
      } catch (error) {
        showProblem(error.status ? error.message : `Lost the service: ${error.message}`);
        return;
      }
      if (batch === null || mine !== token) return;
      render(batch);
      if (batch.status === "done") return;
      await sleep(POLL_MS);
    }
  }

  function fromLocation() {
    const params = new URLSearchParams(location.search);
    if (!params.has("batch")) {
      token++;
      setMode(false);
      return;
    }
    const id = params.get("batch");
    if (id) {
      follow(id);
    } else {
      token++;
      setMode(true);
      $("batch-form").hidden = false;
      $("batch-view").hidden = true;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    build();
    window.addEventListener("popstate", fromLocation);
    fromLocation();
  });
})();
