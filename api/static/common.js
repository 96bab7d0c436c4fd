// Helpers shared by the page's scripts (app.js: one dataset; batch.js: several URLs).
// Loaded first; everything from the API goes in the page as text.
"use strict";

window.Page = (() => {
  const $ = (id) => document.getElementById(id);

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

  // The message of a problem+json answer (or of any failed response).
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

  // GET a JSON document; on 429/503 wait as Retry-After says and ask again, unless stale()
  // says the page has moved on (then null). A failed answer throws an Error whose message is
  // the problem's and whose status is the HTTP status; a network failure throws as fetch does.
  async function getJSON(url, stale) {
    for (;;) {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.status === 429 || response.status === 503) {
        const wait = Number(response.headers.get("Retry-After")) || 2;
        await sleep(wait * 1000);
        if (stale()) return null;
        continue;
      }
      if (!response.ok) {
        const error = new Error(await problemText(response));
        error.status = response.status;
        throw error;
      }
      return response.json();
    }
  }

  // POST a JSON body, return the created resource; a refusal throws with the problem's text.
  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(await problemText(response));
    return response.json();
  }

  return { $, el, sleep, problemText, showProblem, getJSON, postJSON };
})();
