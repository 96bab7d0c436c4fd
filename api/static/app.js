// The curator page over the JSON job API: submit, follow progress, show the report.
// Plain JavaScript, no build step. Everything from the API is put in the page as text.
"use strict";

(() => {
  const SEVERITIES = ["error", "warning", "info"];
  const MARKS = { error: "✗", warning: "!", info: "i", ok: "✓" };
  const WORDS = { error: "errors", warning: "warnings", info: "infos", ok: "no findings" };
  const VERDICTS = {
    valid: ["✓ Valid", "conforms to OME-NGFF"],
    invalid: ["✗ Invalid", "does not conform to OME-NGFF"],
    incomplete: ["? Incomplete", "not everything was checked: no verdict on OME-NGFF"],
  };
  const FORMATS = { json: "json", sarif: "sarif", junit: "xml", html: "html" };
  const GROUP_NODES = 100; // nodes listed per "show more" in an opened finding group
  const CHILDREN_PAGE = 100; // tree children rendered per "show more"
  const AUTO_EXPAND = 25; // expand the way to failing nodes when there are at most this many
  const FIRST_NODES = 5; // nodes named in a group's summary line
  const VIZARR = "https://hms-dbmi.github.io/vizarr/?source=";
  const NEUROGLANCER = "https://neuroglancer-demo.appspot.com/#!";
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  const { $, el, sleep, problemText, showProblem, postJSON } = window.Page;
  const state = {
    token: 0, // bumped when another job is shown: stale polls stop
    job: null,
    report: null,
    root: null,
    byPath: new Map(),
    expanded: new Set([""]),
    selected: null,
    groups: [],
  };

  // -- small helpers ----------------------------------------------------------------------

  const plural = (n, word, many) => `${n.toLocaleString("en")} ${n === 1 ? word : many || `${word}s`}`;
  const clean = (path) => path.replace(/^\/+|\/+$/g, "");
  const isHttp = (url) => /^https?:\/\//i.test(url);

  function jobUrl(id, withReport) {
    return `/v1/jobs/${encodeURIComponent(id)}${withReport ? "" : "?include_report=false"}`;
  }

  // null when another job was shown while waiting for a busy service
  const getJSON = (url, token) => window.Page.getJSON(url, () => token !== state.token);

  // -- submitting and following a job ----------------------------------------------------

  async function submit(event) {
    event.preventDefault();
    const url = $("url").value.trim();
    if (!url) {
      showProblem("Enter the URL of the dataset's root group.");
      $("url").focus();
      return;
    }
    const body = { url, strict: $("strict").checked };
    if ($("version").value) body.ngff_version = $("version").value;
    showProblem("");
    $("submit").disabled = true;
    try {
      const created = await postJSON("/v1/jobs", body);
      history.pushState({ job: created.id }, "", `/?job=${encodeURIComponent(created.id)}`);
      follow(created.id);
    } catch (error) {
      showProblem(`Could not start: ${error.message}`);
    } finally {
      $("submit").disabled = false;
    }
  }

  async function follow(id) {
    const token = ++state.token;
    $("result").hidden = true;
    $("progress").hidden = false;
    $("progress-title").textContent = "Validating…";
    $("progress-text").textContent = "Waiting for the job to start…";
    $("progress-target").textContent = "";
    $("cancel").hidden = false;
    $("cancel").dataset.job = id;
    let delay = 200;
    try {
      for (;;) {
        const job = await getJSON(jobUrl(id, false), token);
        if (token !== state.token || job === null) return;
        showProgress(job);
        if (job.status === "done") {
          const full = await getJSON(jobUrl(id, true), token);
          if (token !== state.token || full === null) return;
          await showReport(full, token);
          return;
        }
        if (job.status === "failed" || job.status === "cancelled") {
          $("progress").hidden = true;
          const why = job.error || job.status;
          showProblem(job.status === "cancelled" ? "The job was cancelled." : `Could not validate ${job.url}: ${why}`);
          if (!$("url").value) $("url").value = job.url;
          return;
        }
        await sleep(delay);
        delay = Math.min(1000, delay * 1.5);
      }
    } catch (error) {
      if (token !== state.token) return;
      $("progress").hidden = true;
      showProblem(error.message);
    }
  }

  function showProgress(job) {
    const p = job.progress;
    $("progress-target").textContent = job.url;
    const bar = $("progress-bar");
    if (job.status === "queued" || p.known === 0) {
      bar.removeAttribute("value");
    } else {
      bar.max = Math.max(p.known, 1);
      bar.value = p.documents;
    }
    $("progress-title").textContent = job.status === "queued" ? "Queued…" : "Validating…";
    $("progress-text").textContent =
      `Fetched ${p.documents} of ${p.known} documents known so far · ` +
      `${plural(p.findings, "finding")} so far · ${plural(p.requests, "request")}`;
  }

  async function cancel() {
    const id = $("cancel").dataset.job;
    if (!id) return;
    $("cancel").hidden = true;
    // Only while it runs: DELETE on a finished job deletes it with its report.
    const job = await getJSON(jobUrl(id, false), state.token).catch(() => null);
    if (!job || job.status === "done" || job.status === "failed" || job.status === "cancelled") return;
    const response = await fetch(jobUrl(id, true), { method: "DELETE" });
    if (!response.ok && response.status !== 409) showProblem(await problemText(response));
  }

  // -- the report ------------------------------------------------------------------------

  async function showReport(job, token) {
    const report = job.report;
    state.job = job;
    state.report = report;
    if (!$("url").value) $("url").value = job.url;
    showSummary(job, report);
    buildTree(report);
    buildGroups(report);
    autoExpand(report);
    state.selected = null;
    // The visited hierarchy, from the nodes the job recorded: the root's children and the way
    // to the failing nodes. A job without recorded nodes shows the findings' nodes only.
    await loadChildren(state.root, token);
    if (token !== state.token) return;
    state.lazy = state.root.total > 0;
    if (state.lazy) {
      await Promise.all([...state.expanded].map((path) => firstChildren(state.byPath.get(path), token)));
      if (token !== state.token) return;
    }
    $("progress").hidden = true;
    $("result").hidden = false;
    $("node-body").replaceChildren();
    $("node-title").textContent = "Node";
    $("node-hint").hidden = false;
    renderAll();
    $("summary").focus();
  }

  function countSpan(n, severity) {
    return el("span", { class: n ? severity : "" }, plural(n, severity));
  }

  function showSummary(job, report) {
    // A report that did not check everything is "incomplete" whatever it found so far (the
    // CLI exits 2); reports saved before the outcome existed have no verdict.
    const verdict = report.complete === false ? "incomplete"
      : report.verdict || (report.valid ? "valid" : "invalid");
    const [badgeText, words] = VERDICTS[verdict] || VERDICTS.invalid;
    $("verdict").replaceChildren(el("span", { class: `badge ${verdict}` }, badgeText),
      words, report.ngff_version && verdict !== "incomplete" ? ` ${report.ngff_version}` : "",
      report.strict ? " (strict)" : "");
    const nodes = Object.values(report.nodes).reduce((a, b) => a + b, 0);
    const counts = $("summary-counts");
    counts.replaceChildren(countSpan(report.counts.error, "error"), " · ",
      countSpan(report.counts.warning, "warning"), " · ", countSpan(report.counts.info, "info"),
      ` · ${plural(nodes, "node")}`);
    const prov = report.provenance;
    const when = prov && prov.started_at ? new Date(prov.started_at) : null;
    const seconds = prov && prov.duration !== null && prov.duration !== undefined ? prov.duration : report.stats.seconds;
    $("summary-when").textContent = [
      report.ngff_version ? `NGFF ${report.ngff_version}` : null,
      report.zarr_format ? `Zarr v${report.zarr_format}` : null,
      `${seconds.toFixed(2)} s`,
      when ? `${when.toISOString().slice(0, 16).replace("T", " ")} UTC` : null,
    ].filter(Boolean).join(" · ");
    $("summary-target").textContent = report.target;
    const stats = report.stats;
    const meta = [
      ["NGFF version", report.ngff_version || "unknown"],
      ["Zarr format", report.zarr_format ? `v${report.zarr_format}` : "unknown"],
      ["Strict", report.strict ? "yes: warnings count as errors" : "no"],
      ["Read", `${plural(stats.documents, "document")} in ${plural(stats.requests, "request")}, ` +
        `${stats.bytes.toLocaleString("en")} bytes, ${stats.seconds.toFixed(2)} s`],
    ];
    if (prov) {
      meta.push(["Started", prov.started_at || "unknown"],
        ["Duration", prov.duration === null ? "unknown" : `${prov.duration.toFixed(2)} s`],
        ["Validator", `ome-zarr-validator ${prov.validator_version} (NGFF ${prov.ngff_versions.join(", ")})`],
        ["Rule set", prov.rules_hash]);
    }
    $("summary-meta").replaceChildren(...meta.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    const notice = $("truncated");
    const reasons = report.incomplete_reasons || [];
    const parts = [];
    if (reasons.length) {
      parts.push(el("strong", { text: "Incomplete: not everything was checked." }),
        el("ul", null, ...reasons.map((s) => el("li", { text: s }))));
    }
    const skipped = report.skipped.filter((s) => !reasons.includes(s));
    if (skipped.length) {
      parts.push(el("strong", { text: report.truncated && !reasons.length ? "Incomplete: the walk stopped at a limit." : "Not checked:" }),
        el("ul", null, ...skipped.map((s) => el("li", { text: s }))));
    }
    const notes = report.notes || [];
    if (notes.length) {
      parts.push(el("strong", { text: "Notes:" }),
        el("ul", null, ...notes.map((s) => el("li", { text: s }))));
    }
    notice.hidden = !parts.length;
    notice.replaceChildren(...parts);
    $("severity-counts").tBodies[0].replaceChildren(...SEVERITIES.map((s) => el("tr", null,
      el("td", null, el("span", { class: `mark ${s}`, "aria-hidden": "true" }, MARKS[s]), ` ${WORDS[s]}`),
      el("td", { class: "num", text: report.counts[s] }))));
    const kinds = Object.entries(report.nodes);
    $("node-counts").tBodies[0].replaceChildren(...(kinds.length ? kinds.map(([kind, n]) =>
      el("tr", null, el("td", { text: kind }), el("td", { class: "num", text: n })))
      : [el("tr", null, el("td", { colspan: 2, text: "none" }))]));
    for (const s of SEVERITIES) {
      document.querySelector(`[data-count=${s}]`).textContent = `(${report.counts[s].toLocaleString("en")})`;
    }
    const link = new URL(`/?job=${encodeURIComponent(job.id)}`, location.href).href;
    $("share-link").value = link;
    $("copy-status").textContent = "";
    const base = job.report_url || `/v1/jobs/${encodeURIComponent(job.id)}/report`;
    for (const [format, ext] of Object.entries(FORMATS)) {
      const a = $(`dl-${format}`);
      a.href = `${base}?format=${format}`;
      a.setAttribute("download", `ome-zarr-report-${job.id}.${ext}`);
    }
    const viewers = viewerLinks(report.target, "", rootKind(report.nodes));
    $("viewers").hidden = !viewers;
    if (viewers) {
      $("open-vizarr").href = viewers.vizarr;
      $("open-neuroglancer-item").hidden = !viewers.neuroglancer;
      if (viewers.neuroglancer) $("open-neuroglancer").href = viewers.neuroglancer;
    }
  }

  // "Open in" links of the web viewers, for datasets they can fetch (http and https only):
  // vizarr shows images, wells and plates; neuroglancer images.
  function viewerLinks(target, path, kind) {
    if (!isHttp(target)) return null;
    const url = nodeUrl(target, path);
    const image = kind === "image" || kind === "label-image" || kind === "label image" || kind === "field";
    const links = { vizarr: VIZARR + encodeURIComponent(url), neuroglancer: null };
    if (image) {
      const name = clean(path) || url.slice(url.lastIndexOf("/") + 1);
      const viewerState = { layers: [{ type: "image", source: `zarr://${url}`, name }], layout: "4panel" };
      links.neuroglancer = NEUROGLANCER + encodeURIComponent(JSON.stringify(viewerState));
    }
    return links;
  }

  function nodeUrl(target, path) {
    const base = target.replace(/\/+$/, "");
    const tail = clean(path).split("/").filter(Boolean).map(encodeURIComponent).join("/");
    return tail ? `${base}/${tail}` : base;
  }

  // -- findings grouped by rule ----------------------------------------------------------

  // The groups in the report's order (errors first, then by count), each with its findings.
  function buildGroups(report) {
    const byKey = new Map();
    for (const f of report.findings) {
      const key = `${f.severity}\u0000${f.rule}`;
      if (!byKey.has(key)) byKey.set(key, []);
      byKey.get(key).push(f);
    }
    const order = report.summary || [...byKey.keys()].map((key) => {
      const [severity, rule] = key.split("\u0000");
      return { rule, severity, count: byKey.get(key).length };
    }).sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || b.count - a.count || a.rule.localeCompare(b.rule));
    state.groups = order.map((g) => {
      const findings = (byKey.get(`${g.severity}\u0000${g.rule}`) || []).slice()
        .sort((a, b) => collator.compare(a.node, b.node) || collator.compare(a.pointer, b.pointer));
      const nodes = [...new Set(findings.map((f) => f.node))];
      return { rule: g.rule, severity: g.severity, findings, nodes };
    });
    const rules = [...new Set(state.groups.map((g) => g.rule))].sort();
    const select = $("rule-filter");
    select.replaceChildren(el("option", { value: "" }, `all rules (${rules.length})`),
      ...rules.map((r) => el("option", { value: r }, r)));
  }

  function renderGroups() {
    const active = activeSeverities();
    const rule = $("rule-filter").value;
    const shown = state.groups.filter((g) => active.has(g.severity) && (!rule || g.rule === rule));
    $("groups").replaceChildren(...shown.map(groupElement));
    $("groups-none").hidden = shown.length > 0;
    const total = shown.reduce((n, g) => n + g.findings.length, 0);
    $("groups-title").textContent = `Findings by rule (${plural(shown.length, "rule")}, ${plural(total, "finding")})`;
  }

  function groupElement(group) {
    const first = group.findings[0];
    const names = group.nodes.slice(0, FIRST_NODES).map((n) => n || "/").join(", ");
    const more = group.nodes.length > FIRST_NODES ? ` and ${(group.nodes.length - FIRST_NODES).toLocaleString("en")} more` : "";
    const details = el("details", { class: `group ${group.severity}`, "data-rule": group.rule },
      el("summary", null,
        el("span", { class: `mark ${group.severity}`, "aria-hidden": "true" }, MARKS[group.severity]), " ",
        el("span", { class: "sr-only", text: `${group.severity}: ` }),
        el("code", { class: "rule", text: group.rule }),
        el("span", { class: "gcount" }, `${plural(group.findings.length, "finding")} on ${plural(group.nodes.length, "node")}`),
        el("span", { class: "gmsg", text: first.message }),
        el("span", { class: "gnodes", text: `at ${names}${more}` })));
    details.addEventListener("toggle", () => {
      if (details.open && !details.querySelector(".group-body")) {
        details.append(groupBody(group, GROUP_NODES));
      }
    });
    return details;
  }

  function groupBody(group, limit) {
    const body = el("div", { class: "group-body" });
    const spec = specLink(group.findings[0].spec);
    if (spec) body.append(el("p", { class: "spec" }, "Specification: ", spec));
    const list = el("ul");
    const rows = group.findings.slice(0, limit);
    for (const f of rows) {
      const where = f.document ? `${f.document}#${f.pointer}` : f.pointer || "";
      const link = el("button", { type: "button", class: "link node-link", "data-path": f.node }, f.node || "/");
      link.addEventListener("click", () => revealNode(f.node));
      list.append(el("li", null, link, " ", where ? el("code", { text: where }) : null,
        f.message !== group.findings[0].message ? el("span", null, ` — ${f.message}`) : null));
    }
    body.append(list);
    const rest = group.findings.length - rows.length;
    if (rest > 0) {
      const more = el("button", { type: "button", class: "secondary" },
        `Show ${Math.min(rest, GROUP_NODES)} more (${rest} not shown)`);
      more.addEventListener("click", () => {
        const fresh = groupBody(group, limit + GROUP_NODES);
        body.replaceWith(fresh);
        const items = fresh.querySelectorAll("li button");
        if (items[limit]) items[limit].focus();
      });
      body.append(more);
    }
    return body;
  }

  // -- the tree: the nodes the job visited (fetched a page at a time), with the findings -----

  function rootKind(nodes) {
    if (nodes.bioformats2raw) return "bioformats2raw";
    if (nodes.scene) return "scene";
    if (nodes.plate) return "plate";
    if (nodes.image) return "image";
    return nodes.well ? "well" : "group";
  }

  // What a node is, from its place (the report has node paths, not kinds): plate → row →
  // well → field → level; image → level and labels → label image → level.
  function kindOf(path, root) {
    if (!path) return root;
    const parts = path.split("/");
    const labels = parts.indexOf("labels");
    if (labels >= 0 && labels < parts.length - 1) {
      return ["label image", "level"][parts.length - labels - 2] || "";
    }
    if (parts[parts.length - 1] === "labels") return "labels";
    const depth = parts.length;
    if (root === "plate") return ["row", "well", "field", "level"][depth - 1] || "";
    if (root === "well") return ["field", "level"][depth - 1] || "";
    if (root === "image") return depth === 1 ? "level" : "";
    return "";  // a scene's children are what the walk recorded (image, array, ...)
  }

  function newNode(path, name, parent) {
    // total: the node's children recorded by the job (null: not asked yet); loaded: how many
    // of them were fetched; size: its number of children, as its parent's listing said.
    return { path, name, parent, children: [], own: [], counts: null, kind: "", total: null, loaded: 0, size: 0 };
  }

  const byName = (a, b) => collator.compare(a.name, b.name);

  // Fetch the next page of a node's recorded children and merge them into the tree.
  async function loadChildren(node, token) {
    if (!node || (node.total !== null && node.loaded >= node.total)) return;
    if (node.loading) return node.loading;
    const url = `/v1/jobs/${encodeURIComponent(state.job.id)}/nodes?parent=${encodeURIComponent(node.path)}` +
      `&offset=${node.loaded}&limit=${CHILDREN_PAGE}`;
    node.loading = (async () => {
      try {
        const page = await getJSON(url, token);
        if (page === null || token !== state.token) return;
        node.total = page.total;
        node.loaded += page.nodes.length;
        if (!page.nodes.length) node.loaded = page.total; // fewer than said: stop asking
        for (const item of page.nodes) addNode(node, item);
        node.children.sort(byName);
      } catch {
        node.total = node.total ?? 0; // an old job, or gone: what the findings show
        node.loaded = node.total;
      } finally {
        node.loading = null;
      }
    })();
    return node.loading;
  }

  // The first page of a node's children, unless it was fetched already.
  function firstChildren(node, token) {
    return node && node.total === null ? loadChildren(node, token) : Promise.resolve();
  }

  function addNode(parent, item) {
    let child = state.byPath.get(item.path);
    if (!child) {
      child = newNode(item.path, item.name, parent);
      child.counts = { error: 0, warning: 0, info: 0, total: 0 }; // no findings below it
      parent.children.push(child);
      state.byPath.set(item.path, child);
    }
    child.kind = item.kind;
    child.size = item.children;
  }

  function buildTree(report) {
    const root = newNode("", "/", null);
    const byPath = new Map([["", root]]);
    for (const finding of report.findings) {
      const path = clean(finding.node);
      let node = byPath.get(path);
      if (!node) {
        let parent = root;
        let prefix = "";
        for (const part of path.split("/")) {
          prefix = prefix ? `${prefix}/${part}` : part;
          let child = byPath.get(prefix);
          if (!child) {
            child = newNode(prefix, part, parent);
            parent.children.push(child);
            byPath.set(prefix, child);
          }
          parent = child;
        }
        node = parent;
      }
      node.own.push(finding);
    }
    for (const node of byPath.values()) node.children.sort(byName);
    state.root = root;
    state.byPath = byPath;
    state.kind = rootKind(report.nodes);
    state.expanded = new Set([""]);
    state.lazy = false;
  }

  function activeSeverities() {
    return new Set([...document.querySelectorAll("input[name=severity]:checked")].map((i) => i.value));
  }

  // Counts of the visible findings in every subtree (bottom-up, no recursion limits).
  function countAll(active, rule) {
    const order = [];
    const stack = [state.root];
    while (stack.length) {
      const node = stack.pop();
      order.push(node);
      stack.push(...node.children);
    }
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      const counts = { error: 0, warning: 0, info: 0, total: 0 };
      for (const f of node.own) {
        if (active.has(f.severity) && (!rule || f.rule === rule)) { counts[f.severity]++; counts.total++; }
      }
      for (const child of node.children) {
        for (const key of Object.keys(counts)) counts[key] += child.counts[key];
      }
      node.counts = counts;
    }
  }

  function worst(counts) {
    return SEVERITIES.find((s) => counts[s] > 0) || "ok";
  }

  function failing(severity) {
    return severity === "error" || (severity === "warning" && state.report.strict);
  }

  function autoExpand(report) {
    const failingNodes = new Set(report.findings.filter((f) => failing(f.severity)).map((f) => f.node));
    if (failingNodes.size > AUTO_EXPAND) return;
    for (const path of failingNodes) {
      let node = state.byPath.get(clean(path));
      for (node = node && node.parent; node; node = node.parent) state.expanded.add(node.path);
    }
  }

  function visibleChildren(node) {
    if (state.lazy) return node.children;
    return node.children.filter((c) => c.counts.total > 0);
  }

  // Whether a node has children, shown or still to fetch.
  function hasChildren(node) {
    return visibleChildren(node).length > 0 || (state.lazy && (node.size > 0 || node.total > 0));
  }

  // How many children a node has in all: recorded ones, and those only the findings know.
  function childTotal(node) {
    return state.lazy ? Math.max(node.total || 0, node.children.length) : visibleChildren(node).length;
  }

  function renderAll() {
    countAll(activeSeverities(), $("rule-filter").value);
    renderTree();
    renderGroups();
  }

  function renderTree() {
    const total = Object.values(state.report.nodes).reduce((a, b) => a + b, 0);
    $("tree-note").textContent = (state.lazy
      ? "Every node visited; the way to failing nodes is open."
      : "The nodes with findings and the groups above them" +
        (total ? ` (${plural(total, "node")} visited in all).` : ".")) +
      " Click or Enter: show a node's metadata; arrow keys: move, open, close.";
    const tree = $("tree");
    tree.replaceChildren(treeItem(state.root, 1));
    (findItem(state.selected) || tree.firstElementChild).tabIndex = 0;
  }

  function findItem(path) {
    if (path === null) return null;
    return [...$("tree").querySelectorAll("[role=treeitem]")].find((li) => li.dataset.path === path) || null;
  }

  // The node's role in the layout (row, well, field, level, ...) and, when it says more, its
  // kind as the walk recorded it ("level · array").
  function nodeKind(node) {
    const role = kindOf(node.path, state.kind);
    const kind = node.kind.replace("-", " ");
    if (!role) return kind;
    return kind && kind !== role && !(role === "field" && kind === "image") ? `${role} · ${kind}` : role;
  }

  // "(2 warnings, 4 infos)" in a few characters: "!2 i4" (the words are in the label).
  function compactCounts(counts) {
    const parts = SEVERITIES.filter((s) => counts[s]).map((s) =>
      el("span", { class: `tally ${s}`, title: plural(counts[s], s) },
        el("span", { class: `mark ${s}`, "aria-hidden": "true" }, MARKS[s]), counts[s].toLocaleString("en")));
    return parts.length ? el("span", { class: "node-counts" }, ...parts) : null;
  }

  function treeItem(node, level) {
    const kids = visibleChildren(node);
    const expandable = hasChildren(node);
    const open = expandable && state.expanded.has(node.path);
    const status = worst(node.counts);
    const kind = nodeKind(node);
    const target = state.report.target.replace(/\/+$/, "");
    const label = node.path ? node.name : target.slice(target.lastIndexOf("/") + 1) || target || "/";
    const counts = SEVERITIES.filter((s) => node.counts[s]).map((s) => plural(node.counts[s], s)).join(", ");
    const li = el("li", {
      role: "treeitem",
      "aria-level": level,
      "aria-selected": node.path === state.selected ? "true" : "false",
      "aria-expanded": expandable ? String(open) : null,
      "aria-label": `${label}${kind ? `, ${kind}` : ""}: ${counts || WORDS.ok}`,
      tabindex: -1,
      "data-path": node.path,
    });
    li.append(el("div", { class: "row", title: node.path || target },
      el("span", { class: "twisty", "aria-hidden": "true" }, expandable ? (open ? "▾" : "▸") : ""),
      el("span", { class: `mark ${status}`, "aria-hidden": "true", title: WORDS[status] }, MARKS[status]),
      el("span", { class: "node-name", text: label }),
      kind ? el("span", { class: "node-kind", text: kind }) : null,
      node.path ? compactCounts(node.counts) : null));
    if (open) li.append(childGroup(node, kids, level + 1, CHILDREN_PAGE));
    return li;
  }

  function childGroup(node, kids, level, limit) {
    const group = el("ul", { role: "group" });
    for (const child of kids.slice(0, limit)) group.append(treeItem(child, level));
    const rest = childTotal(node) - Math.min(limit, kids.length);
    if (rest > 0) {
      const more = el("button", { type: "button", class: "link" },
        `Show ${Math.min(CHILDREN_PAGE, rest)} more of ${rest} (${node.name})`);
      more.addEventListener("click", async () => {
        const next = limit + CHILDREN_PAGE;
        more.disabled = true;
        const token = state.token;
        if (state.lazy) await loadChildren(node, token);
        if (token !== state.token || !group.isConnected) return;
        const replacement = childGroup(node, visibleChildren(node), level, next);
        group.replaceWith(replacement);
        const first = replacement.querySelectorAll(":scope > [role=treeitem]")[limit];
        if (first) { first.tabIndex = 0; first.focus(); }
      });
      group.append(el("li", { role: "none", class: "tree-more" }, more));
    }
    return group;
  }

  async function toggle(li, open) {
    const node = state.byPath.get(li.dataset.path);
    if (!li.hasAttribute("aria-expanded")) return false;
    const isOpen = li.getAttribute("aria-expanded") === "true";
    if (open === isOpen) return false;
    if (open && state.lazy && node.total === null) {
      const token = state.token;
      li.setAttribute("aria-busy", "true");
      await firstChildren(node, token);
      if (token !== state.token || !li.isConnected) return false;
    }
    if (open) state.expanded.add(node.path); else state.expanded.delete(node.path);
    const level = Number(li.getAttribute("aria-level"));
    const fresh = treeItem(node, level);
    li.replaceWith(fresh);
    fresh.tabIndex = 0;
    fresh.focus();
    return true;
  }

  function select(li) {
    state.selected = li.dataset.path;
    for (const item of $("tree").querySelectorAll("[aria-selected=true]")) item.setAttribute("aria-selected", "false");
    li.setAttribute("aria-selected", "true");
    showNode(li.dataset.path);
  }

  // Open the tree down to ``path`` (fetching the children on the way), select and show it.
  async function revealNode(path) {
    path = clean(path);
    const token = state.token;
    const parts = path ? path.split("/") : [];
    let node = state.root;
    for (let i = 0; i < parts.length; i++) {
      state.expanded.add(node.path);
      if (state.lazy) {
        await firstChildren(node, token);
        const want = parts.slice(0, i + 1).join("/");
        while (!state.byPath.has(want) && node.loaded < (node.total || 0)) await loadChildren(node, token);
      }
      if (token !== state.token) return;
      const next = state.byPath.get(parts.slice(0, i + 1).join("/"));
      if (!next) break;
      node = next;
    }
    state.selected = node.path;
    countAll(activeSeverities(), $("rule-filter").value);
    renderTree();
    const li = findItem(node.path);
    if (li) {
      for (const item of $("tree").querySelectorAll("[tabindex='0']")) item.tabIndex = -1;
      li.tabIndex = 0;
      li.scrollIntoView({ block: "nearest" });
    }
    await showNode(node.path);
    $("node").scrollIntoView({ block: "nearest" });
  }

  function visibleItems() {
    return [...$("tree").querySelectorAll("[role=treeitem]")];
  }

  function moveFocus(from, to) {
    if (!to) return;
    from.tabIndex = -1;
    to.tabIndex = 0;
    to.focus();
  }

  function onTreeKey(event) {
    const li = event.target.closest("[role=treeitem]");
    if (!li || event.target !== li) return;
    const items = visibleItems();
    const index = items.indexOf(li);
    let handled = true;
    switch (event.key) {
      case "ArrowDown": moveFocus(li, items[index + 1]); break;
      case "ArrowUp": moveFocus(li, items[index - 1]); break;
      case "Home": moveFocus(li, items[0]); break;
      case "End": moveFocus(li, items[items.length - 1]); break;
      case "ArrowRight":
        if (li.getAttribute("aria-expanded") === "false") toggle(li, true);
        else if (li.getAttribute("aria-expanded") === "true") {
          moveFocus(li, li.querySelector(":scope > ul > [role=treeitem]"));
        }
        break;
      case "ArrowLeft":
        if (li.getAttribute("aria-expanded") === "true") toggle(li, false);
        else moveFocus(li, li.parentElement.closest("[role=treeitem]"));
        break;
      case "Enter":
      case " ":
        select(li);
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  }

  function onTreeClick(event) {
    if (event.target.closest("button")) return;
    const li = event.target.closest("[role=treeitem]");
    if (!li) return;
    for (const item of $("tree").querySelectorAll("[tabindex='0']")) item.tabIndex = -1;
    li.tabIndex = 0;
    li.focus();
    if (event.target.closest(".twisty")) {
      toggle(li, li.getAttribute("aria-expanded") !== "true");
      return;
    }
    select(li);
    if (li.getAttribute("aria-expanded") === "false") toggle(li, true);
  }

  // -- the selected node: its metadata as the walk read it -------------------------------

  async function showNode(path) {
    const token = state.token;
    const node = state.byPath.get(path);
    const report = state.report;
    const target = report.target.replace(/\/+$/, "");
    const label = path || target.slice(target.lastIndexOf("/") + 1) || "/";
    const kind = node ? nodeKind(node) : "";
    $("node-title").replaceChildren(el("span", { class: "node-name", text: label }),
      kind ? el("span", { class: "node-kind", text: ` ${kind}` }) : null);
    $("node-hint").hidden = true;
    const body = $("node-body");
    body.replaceChildren(el("p", { class: "help", text: "Loading the node's metadata…" }));
    let detail = null;
    let missing = "";
    try {
      detail = await getJSON(`/v1/jobs/${encodeURIComponent(state.job.id)}/node?path=${encodeURIComponent(path)}`, token);
    } catch (error) {
      missing = error.status === 404 ? "The job recorded no metadata for this node." : error.message;
    }
    if (token !== state.token || state.selected !== path) return;
    const own = report.findings.filter((f) => clean(f.node) === path)
      .sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
    const parts = [];
    parts.push(...nodeLinks(path, detail, kind));
    if (detail && detail.array) parts.push(arrayView(detail.array));
    parts.push(el("h3", { text: own.length ? `Findings on this node (${own.length})` : "No findings on this node" }));
    if (own.length) {
      parts.push(el("ul", { class: "node-findings" }, ...own.map((f) => el("li", null,
        el("span", { class: `mark ${f.severity}`, "aria-hidden": "true" }, MARKS[f.severity]), ` ${f.severity} `,
        el("code", { text: f.rule }), ` ${f.message} `,
        el("code", { class: "muted", text: f.document ? `${f.document}#${f.pointer}` : f.pointer || "" })))));
    }
    if (detail) {
      if (detail.omitted) parts.push(el("p", { class: "help", text: detail.omitted }));
      for (const [name, document] of Object.entries(detail.documents || {})) {
        const hits = own.filter((f) => f.document === name);
        parts.push(el("h3", null, el("code", { text: name }),
          hits.length ? el("span", { class: "muted" }, ` — ${plural(hits.length, "highlighted pointer")}`) : null));
        parts.push(document === null ? el("p", { class: "help", text: "Not valid JSON (see the findings)." }) : jsonView(document, hits));
      }
    } else {
      parts.push(el("p", { class: "help", text: missing }));
    }
    body.replaceChildren(...parts);
    const firstHit = body.querySelector(".line.hit-start.error") || body.querySelector(".line.hit-start");
    if (firstHit) {
      const pre = firstHit.closest("pre");
      pre.scrollTop = Math.max(0, firstHit.offsetTop - pre.offsetTop - 40);
    }
  }

  function nodeLinks(path, detail, kind) {
    const target = state.report.target;
    const names = detail ? Object.keys(detail.documents || {}) : [];
    const out = [];
    if (names.length) {
      const items = names.map((name) => {
        const url = nodeUrl(target, path) + "/" + name;
        return isHttp(url) ? el("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, name)
          : el("code", { text: url });
      });
      out.push(el("p", { class: "node-links" }, "Raw metadata: ", ...items.flatMap((a, i) => (i ? [" · ", a] : [a]))));
    }
    const viewers = viewerLinks(target, path, detail ? detail.kind : kind);
    if (viewers && (!detail || ["image", "label-image", "plate", "well"].includes(detail.kind))) {
      const links = [el("a", { href: viewers.vizarr, rel: "noopener noreferrer", target: "_blank" }, "vizarr")];
      if (viewers.neuroglancer) {
        links.push(" · ", el("a", { href: viewers.neuroglancer, rel: "noopener noreferrer", target: "_blank" }, "neuroglancer"));
      }
      out.push(el("p", { class: "node-links" }, "Open in: ", ...links));
    }
    return out;
  }

  const show = (value) => (value === null || value === undefined ? "–" : String(value));

  function arrayView(array) {
    const ndim = Math.max((array.shape || []).length, (array.chunks || []).length);
    const names = array.dimension_names || [];
    const head = el("tr", null, el("th", { scope: "col" }, "dimension"),
      ...Array.from({ length: ndim }, (_, i) => el("th", { scope: "col", text: names[i] ?? String(i) })));
    const row = (label, values) => el("tr", null, el("th", { scope: "row", text: label }),
      ...Array.from({ length: ndim }, (_, i) => el("td", { text: values ? show(values[i]) : "–" })));
    const rows = [row("shape", array.shape), row("chunks", array.chunks)];
    if (array.shards) rows.push(row("shards", array.shards));
    const table = el("table", { class: "dims" }, el("caption", { text: "Array" }), el("thead", null, head), el("tbody", null, ...rows));
    const meta = [
      ["Data type", show(array.data_type)],
      ["Codecs", array.codecs.length ? array.codecs.join(" → ") : "none"],
      ["Fill value", JSON.stringify(array.fill_value)],
      ["Zarr format", `v${array.zarr_format}`],
    ];
    if (!array.dimension_names) meta.push(["Dimension names", "none"]);
    return el("div", { class: "array" }, table,
      el("dl", { class: "meta" }, ...meta.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])));
  }

  // A JSON document, pretty-printed one value per line; the lines of each offending value
  // (a finding's JSON pointer) are highlighted and its first line names the rule.
  function jsonView(document, hits) {
    const pre = el("pre", { class: "json", tabindex: 0, "aria-label": "Metadata document" });
    const marks = new Map();
    for (const f of hits) {
      if (!marks.has(f.pointer)) marks.set(f.pointer, []);
      marks.get(f.pointer).push(f);
    }
    // A value is highlighted line by line unless an offending value as severe or worse lies
    // inside it (a warning on a whole multiscale must not drown the error on one of its
    // axes); the first line of every offending value is marked and names its rules.
    const rank = (p) => Math.min(...marks.get(p).map((f) => SEVERITIES.indexOf(f.severity)));
    const all = [...marks.keys()].filter((p) => p !== "");
    const pointers = all.filter((p) => !all.some((q) => q !== p && q.startsWith(`${p}/`) && rank(q) <= rank(p)));
    const token = (key) => String(key).replace(/~/g, "~0").replace(/\//g, "~1");

    function line(indent, text, pointer, closing) {
      const span = el("span", { class: "line" }, "  ".repeat(indent) + text);
      const inside = pointers.find((p) => pointer === p || pointer.startsWith(`${p}/`));
      if (inside !== undefined) span.classList.add("hit");
      const here = marks.get(pointer);
      if (here && pointer !== "" && !closing) {
        const severity = here.some((f) => f.severity === "error") ? "error" : "";
        span.classList.add("hit-start");
        if (severity) span.classList.add(severity);
        span.append(el("span", { class: `hit-note ${severity}`, text: `◀ ${[...new Set(here.map((f) => f.rule))].join(", ")}` }));
      }
      pre.append(span);
    }

    function walk(value, pointer, indent, prefix, comma) {
      const end = comma ? "," : "";
      if (Array.isArray(value) || (value && typeof value === "object")) {
        const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
        const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
        if (!entries.length) { line(indent, `${prefix}${open}${close}${end}`, pointer); return; }
        // Short arrays of scalars stay on one line (shapes, chunks, scales).
        if (Array.isArray(value) && value.length <= 8 && value.every((v) => v === null || typeof v !== "object")) {
          line(indent, `${prefix}${JSON.stringify(value).replace(/,/g, ", ")}${end}`, pointer);
          return;
        }
        line(indent, `${prefix}${open}`, pointer);
        entries.forEach(([key, child], i) => {
          const childPrefix = Array.isArray(value) ? "" : `${JSON.stringify(key)}: `;
          walk(child, `${pointer}/${token(key)}`, indent + 1, childPrefix, i < entries.length - 1);
        });
        line(indent, `${close}${end}`, pointer, true);
        return;
      }
      line(indent, `${prefix}${JSON.stringify(value)}${end}`, pointer);
    }

    walk(document, "", 0, "", false);
    return pre;
  }

  // "https://ngff.openmicroscopy.org/0.5/#multiscale-md" -> "spec 0.5 § multiscale-md";
  // ".../rfc/9/#ome-zarr-zip-files" -> "RFC-9 § ome-zarr-zip-files"
  function specLink(url) {
    if (!/^https?:\/\//.test(url)) return url ? el("span", { class: "spec", text: url }) : null;
    const rfc = /^https?:\/\/[^/]+\/rfc\/(\d+)\/?#(.+)$/.exec(url);
    const match = /^https?:\/\/[^/]+\/([^/#]*)\/?#(.+)$/.exec(url);
    const label = rfc ? `RFC-${rfc[1]} § ${rfc[2]}` : match ? `spec ${match[1]} § ${match[2]}` : "spec";
    return el("a", { class: "spec", href: url, target: "_blank", rel: "noopener" }, label);
  }

  // -- start -----------------------------------------------------------------------------

  // The NGFF versions the service checks come from /v1/versions (one registry, server side).
  async function loadVersions() {
    try {
      const info = await getJSON("/v1/versions", state.token);
      if (!info) return;
      const select = $("version");
      for (const version of info.ngff_versions) {
        select.append(el("option", { value: version, text: version }));
      }
      $("ngff-versions").textContent = ` ${info.ngff_versions.join(", ")}`;
    } catch (error) {
      showProblem(`Could not load the NGFF versions: ${error.message}`);
    }
  }

  function fromLocation() {
    const id = new URLSearchParams(location.search).get("job");
    if (id) {
      follow(id);
    } else {
      state.token++;
      $("progress").hidden = true;
      $("result").hidden = true;
    }
  }

  async function copyLink() {
    const input = $("share-link");
    try {
      await navigator.clipboard.writeText(input.value);
      $("copy-status").textContent = "Copied.";
    } catch {
      $("summary-details").open = true;
      input.select();
      $("copy-status").textContent = "Select and copy the link (Ctrl+C).";
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("submit-form").addEventListener("submit", submit);
    $("cancel").addEventListener("click", cancel);
    $("copy-link").addEventListener("click", copyLink);
    $("tree").addEventListener("keydown", onTreeKey);
    $("tree").addEventListener("click", onTreeClick);
    $("filters").addEventListener("change", () => { if (state.report) renderAll(); });
    $("rule-filter").addEventListener("change", () => { if (state.report) renderAll(); });
    window.addEventListener("popstate", fromLocation);
    loadVersions();
    fromLocation();
  });
})();
