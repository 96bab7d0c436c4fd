// The curator page over the JSON job API: submit, follow progress, show the report.
// Plain JavaScript, no build step. Everything from the API is put in the page as text.
"use strict";

(() => {
  const SEVERITIES = ["error", "warning", "info"];
  const MARKS = { error: "✗", warning: "!", info: "i", ok: "✓" };
  const WORDS = { error: "errors", warning: "warnings", info: "infos", ok: "no findings" };
  const FORMATS = { json: "json", sarif: "sarif", junit: "xml", html: "html" };
  const FINDINGS_PAGE = 200; // table rows added per "show more"
  const CHILDREN_PAGE = 100; // tree children rendered per "show more"
  const AUTO_EXPAND = 25; // expand the way to failing nodes when there are at most this many
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  const $ = (id) => document.getElementById(id);
  const state = {
    token: 0, // bumped when another job is shown: stale polls stop
    job: null,
    report: null,
    root: null,
    byPath: new Map(),
    expanded: new Set([""]),
    selected: "",
    shown: 0,
    rows: [],
  };

  // -- small helpers ----------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  async function problemText(response) {
    try {
      const body = await response.json();
      return body.detail || body.title || `HTTP ${response.status}`;
    } catch {
      return `HTTP ${response.status} ${response.statusText}`;
    }
  }

  function showProblem(text) {
    const box = $("problem");
    box.textContent = text;
    box.hidden = !text;
  }

  function jobUrl(id, withReport) {
    return `/v1/jobs/${encodeURIComponent(id)}${withReport ? "" : "?include_report=false"}`;
  }

  async function getJSON(url, token) {
    for (;;) {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.status === 429 || response.status === 503) {
        const wait = Number(response.headers.get("Retry-After")) || 2;
        await sleep(wait * 1000);
        if (token !== state.token) return null;
        continue;
      }
      if (!response.ok) throw new Error(await problemText(response));
      return response.json();
    }
  }

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
      const response = await fetch("/v1/jobs", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        showProblem(`Could not start: ${await problemText(response)}`);
        return;
      }
      const created = await response.json();
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
          showProblem(job.status === "cancelled" ? `The job was cancelled.` : `Could not validate ${job.url}: ${why}`);
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
    autoExpand(report);
    state.selected = "";
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
    renderAll();
    $("summary").focus();
  }

  function showSummary(job, report) {
    const verdict = $("verdict");
    const badge = el("span", { class: `badge ${report.valid ? "valid" : "invalid"}` },
      report.valid ? "✓ Valid" : "✗ Invalid");
    verdict.replaceChildren(badge,
      report.valid ? "conforms to OME-NGFF" : "does not conform to OME-NGFF",
      report.ngff_version ? ` ${report.ngff_version}` : "",
      report.strict ? " (strict)" : "");
    $("summary-target").textContent = report.target;
    const stats = report.stats;
    const meta = [
      ["NGFF version", report.ngff_version || "unknown"],
      ["Zarr format", report.zarr_format ? `v${report.zarr_format}` : "unknown"],
      ["Strict", report.strict ? "yes: warnings count as errors" : "no"],
      ["Read", `${stats.documents} documents in ${stats.requests} requests, ` +
        `${stats.bytes.toLocaleString()} bytes, ${stats.seconds.toFixed(2)} s`],
    ];
    $("summary-meta").replaceChildren(...meta.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
    const truncated = $("truncated");
    truncated.hidden = !report.skipped.length;
    if (report.skipped.length) {
      truncated.replaceChildren(
        el("strong", { text: report.truncated ? "Incomplete: the walk stopped at a limit." : "Not checked:" }),
        el("ul", null, ...report.skipped.map((s) => el("li", { text: s }))));
    }
    $("severity-counts").tBodies[0].replaceChildren(...SEVERITIES.map((s) => el("tr", null,
      el("td", null, el("span", { class: `mark ${s}`, "aria-hidden": "true" }, MARKS[s]), ` ${WORDS[s]}`),
      el("td", { class: "num", text: report.counts[s] }))));
    const kinds = Object.entries(report.nodes);
    $("node-counts").tBodies[0].replaceChildren(...(kinds.length ? kinds.map(([kind, n]) =>
      el("tr", null, el("td", { text: kind }), el("td", { class: "num", text: n })))
      : [el("tr", null, el("td", { colspan: 2, text: "none" }))]));
    for (const s of SEVERITIES) {
      document.querySelector(`[data-count=${s}]`).textContent = `(${report.counts[s]})`;
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
  }

  // -- the tree: the nodes the job visited (fetched a page at a time), with the findings -----

  function rootKind(nodes) {
    if (nodes.bioformats2raw) return "bioformats2raw";
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
    return "";
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
      const path = finding.node.replace(/^\/+|\/+$/g, "");
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
    for (const node of byPath.values()) node.children.sort((a, b) => collator.compare(a.name, b.name));
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
  function countAll(active) {
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
        if (active.has(f.severity)) { counts[f.severity]++; counts.total++; }
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
      let node = state.byPath.get(path.replace(/^\/+|\/+$/g, ""));
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
    countAll(activeSeverities());
    renderTree();
    renderFindings();
  }

  function renderTree() {
    const total = Object.values(state.report.nodes).reduce((a, b) => a + b, 0);
    $("tree-note").textContent = (state.lazy
      ? "The hierarchy as visited; the way to failing nodes is open, healthy parts closed."
      : "The nodes with findings and the groups above them" +
        (total ? ` (${total} nodes visited in all; the others have no findings).` : ".")) +
      " Click or Enter: show a node's findings; arrow keys: move, open, close.";
    const tree = $("tree");
    tree.replaceChildren(treeItem(state.root, 1));
    (findItem(state.selected) || tree.firstElementChild).tabIndex = 0;
  }

  function findItem(path) {
    return [...$("tree").querySelectorAll("[role=treeitem]")].find((li) => li.dataset.path === path) || null;
  }

  function treeItem(node, level) {
    const kids = visibleChildren(node);
    const expandable = hasChildren(node);
    const open = expandable && state.expanded.has(node.path);
    const status = worst(node.counts);
    const kind = kindOf(node.path, state.kind) || node.kind.replace("-", " ");
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
    li.append(el("div", { class: "row" },
      el("span", { class: "twisty", "aria-hidden": "true" }, expandable ? (open ? "▾" : "▸") : ""),
      el("span", { class: `mark ${status}`, "aria-hidden": "true", title: WORDS[status] }, MARKS[status]),
      el("span", { class: "node-name", text: label }),
      kind ? el("span", { class: "node-kind", text: kind }) : null,
      counts && node.path ? el("span", { class: "node-counts", text: `(${counts})` }) : null));
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
    renderFindings();
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

  // -- the findings of the selected subtree ---------------------------------------------

  function subtreeFindings(node, active) {
    const out = [];
    const stack = [node];
    while (stack.length) {
      const current = stack.pop();
      for (const f of current.own) if (active.has(f.severity)) out.push(f);
      for (let i = current.children.length - 1; i >= 0; i--) stack.push(current.children[i]);
    }
    return out;
  }

  function renderFindings() {
    const node = state.byPath.get(state.selected) || state.root;
    const active = activeSeverities();
    state.rows = subtreeFindings(node, active);
    state.shown = 0;
    const where = node.path ? node.path : "the whole dataset";
    $("findings-title").textContent = `Findings in ${where} (${state.rows.length})`;
    $("findings").tBodies[0].replaceChildren();
    $("findings").hidden = state.rows.length === 0;
    $("findings-none").hidden = state.rows.length > 0;
    showMoreFindings();
  }

  function showMoreFindings() {
    const body = $("findings").tBodies[0];
    const next = state.rows.slice(state.shown, state.shown + FINDINGS_PAGE);
    body.append(...next.map(findingRow));
    state.shown += next.length;
    const rest = state.rows.length - state.shown;
    const more = $("more-findings");
    more.hidden = rest <= 0;
    more.textContent = `Show ${Math.min(rest, FINDINGS_PAGE)} more (${rest} not shown)`;
  }

  // "https://ngff.openmicroscopy.org/0.5/#multiscale-md" -> "spec 0.5 § multiscale-md"
  function specLink(url) {
    if (!/^https?:\/\//.test(url)) return url ? el("span", { class: "spec", text: url }) : null;
    const match = /^https?:\/\/[^/]+\/([^/#]*)\/?#(.+)$/.exec(url);
    const label = match ? `spec ${match[1]} § ${match[2]}` : "spec";
    return el("a", { class: "spec", href: url, target: "_blank", rel: "noopener" }, label);
  }

  // Code text that may wrap after "." and "/" only (rule ids, paths, JSON pointers).
  function breakable(text) {
    const code = el("code");
    for (const part of text.split(/(?<=[./])/)) code.append(part, el("wbr"));
    return code;
  }

  function findingRow(f) {
    const where = f.document ? `${f.document}#${f.pointer}` : f.pointer || "–";
    return el("tr", { class: f.severity },
      el("td", { class: "sev" }, el("span", { class: `mark ${f.severity}`, "aria-hidden": "true" }, MARKS[f.severity]), ` ${f.severity}`),
      el("td", null, breakable(f.rule), el("br"), specLink(f.spec)),
      el("td", { text: f.message }),
      el("td", null, breakable(f.node || "/"), el("br"), breakable(where)));
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
      input.select();
      $("copy-status").textContent = "Select and copy the link (Ctrl+C).";
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("submit-form").addEventListener("submit", submit);
    $("cancel").addEventListener("click", cancel);
    $("copy-link").addEventListener("click", copyLink);
    $("more-findings").addEventListener("click", showMoreFindings);
    $("tree").addEventListener("keydown", onTreeKey);
    $("tree").addEventListener("click", onTreeClick);
    $("filters").addEventListener("change", () => { if (state.report) renderAll(); });
    window.addEventListener("popstate", fromLocation);
    loadVersions();
    fromLocation();
  });
})();
