// mediacheck's page: posts what the person gives to the service and shows the server-rendered answer.
//
// The API key lives in sessionStorage (this tab only) and travels in an Authorization header, never a cookie.
// Server fragments are the only HTML inserted, through the one Trusted Types policy the CSP allows; every
// other text goes in with textContent.
"use strict";

(() => {
  const KEY_STORAGE = "mediacheck.apiKey";
  // Routes are relative to the page (served at the app's root), so a proxy's path prefix carries over.
  const fragmentPolicy = window.trustedTypes
    ? window.trustedTypes.createPolicy("mediacheck-fragment", { createHTML: (html) => html })
    : { createHTML: (html) => html };

  const $ = (selector, root = document) => root.querySelector(selector);
  let lastSource = null; // what was checked last: { file } or { url }, with its profile, for the Fix button

  function apiKey() {
    return sessionStorage.getItem(KEY_STORAGE) || "";
  }

  function authHeaders() {
    const key = apiKey();
    return key ? { Authorization: `Bearer ${key}` } : {};
  }

  function post(path, body, headers = {}) {
    return fetch(path, {
      method: "POST",
      body,
      headers: { ...authHeaders(), ...headers },
      credentials: "omit",
      cache: "no-store",
    });
  }

  function showFragment(target, html) {
    target.innerHTML = fragmentPolicy.createHTML(html);
    const title = target.querySelector("[tabindex='-1']");
    if (title) title.focus({ preventScroll: false });
  }

  function showProblem(target, message) {
    const box = document.createElement("div");
    box.className = "card problem";
    box.setAttribute("role", "alert");
    const text = document.createElement("p");
    text.className = "problem__text";
    text.textContent = message;
    box.append(text);
    target.replaceChildren(box);
  }

  function showBusy(target, message) {
    const box = document.createElement("div");
    box.className = "busy";
    box.setAttribute("role", "status");
    const spinner = document.createElement("span");
    spinner.className = "busy__spinner";
    spinner.setAttribute("aria-hidden", "true");
    box.append(spinner, document.createTextNode(message));
    target.replaceChildren(box);
  }

  async function refusal(response) {
    // The service's refusals are JSON {"detail": ...}: a sentence, or FastAPI's list of field errors.
    let detail = `The service answered ${response.status}.`;
    try {
      const body = await response.json();
      if (typeof body.detail === "string") detail = body.detail;
      else if (Array.isArray(body.detail)) detail = body.detail.map((error) => error.msg).join(" ");
    } catch (_) {
      // not JSON: keep the status line
    }
    if (response.status === 401) {
      const field = $("#api-key");
      if (field) {
        detail = field.value ? "The service refused this API key; check it (above)." : "Enter the API key first (above).";
        field.focus();
      }
    } else if (response.status === 503) {
      detail = "The service is busy checking other files; try again in a moment.";
    }
    return detail;
  }

  async function answer(response, target) {
    const type = response.headers.get("content-type") || "";
    if (type.startsWith("text/html")) {
      showFragment(target, await response.text());
    } else {
      showProblem(target, await refusal(response));
    }
  }

  function setBusy(busy) {
    for (const button of document.querySelectorAll("button[type=submit], [data-action=fix]")) {
      button.disabled = busy;
    }
    document.body.classList.toggle("is-busy", busy);
  }

  async function check(source) {
    const target = $("#check-result");
    lastSource = { ...source, profile: $("#profile").value };
    const form = new FormData();
    if (source.file) form.append("file", source.file, source.file.name);
    else form.append("url", source.url);
    form.append("profile", lastSource.profile);
    setBusy(true);
    showBusy(target, source.file ? `Checking ${source.file.name}…` : "Fetching and checking…");
    try {
      await answer(await post("web/check", form), target);
    } catch (error) {
      showProblem(target, `The service could not be reached (${error.message}).`);
    } finally {
      setBusy(false);
    }
  }

  function fixSummary(summary, blobUrl) {
    const box = document.createElement("div");
    box.className = "fixed";
    const line = document.createElement("p");
    line.className = "fixed__verdict";
    const badge = document.createElement("span");
    badge.className = `badge badge--${summary.ok ? "pass" : "fail"}`;
    badge.textContent = summary.ok ? "PASS" : "FAIL";
    line.append(badge, document.createTextNode(` Fixed copy: ${summary.facts}`));
    const changes = document.createElement("ul");
    changes.className = "fixed__changes";
    for (const change of summary.changes) {
      const item = document.createElement("li");
      item.textContent = change;
      changes.append(item);
    }
    const link = document.createElement("a");
    link.className = "button button--download";
    link.href = blobUrl;
    link.download = summary.filename;
    link.textContent = `Download ${summary.filename}`;
    box.append(line, changes, link);
    return box;
  }

  async function fix(button) {
    if (!lastSource) return;
    const target = button.closest("[data-fix-panel]").querySelector("[data-fix-result]");
    const form = new FormData();
    if (lastSource.file) form.append("file", lastSource.file, lastSource.file.name);
    else form.append("url", lastSource.url);
    form.append("profile", lastSource.profile);
    setBusy(true);
    showBusy(target, "Fixing… (decoding, trimming and re-encoding)");
    try {
      const response = await post("web/fix", form);
      if (!response.ok) {
        showProblem(target, await refusal(response));
        return;
      }
      const summary = JSON.parse(response.headers.get("X-Mediacheck-Fix") || "{}");
      const url = URL.createObjectURL(await response.blob());
      target.replaceChildren(fixSummary(summary, url));
    } catch (error) {
      showProblem(target, `The service could not be reached (${error.message}).`);
    } finally {
      setBusy(false);
    }
  }

  async function validateDialin(text) {
    const target = $("#dialin-result");
    setBusy(true);
    showBusy(target, "Validating the config (and checking its hold music)…");
    try {
      await answer(await post("web/dialin", text, { "Content-Type": "application/json" }), target);
    } catch (error) {
      showProblem(target, `The service could not be reached (${error.message}).`);
    } finally {
      setBusy(false);
    }
  }

  function selectTab(tab) {
    for (const other of document.querySelectorAll("[role=tab]")) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
    tab.focus();
  }

  function wireTabs() {
    const tabs = [...document.querySelectorAll("[role=tab]")];
    for (const tab of tabs) {
      tab.addEventListener("click", () => selectTab(tab));
      tab.addEventListener("keydown", (event) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (step) selectTab(tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length]);
      });
    }
  }

  function wireKey() {
    const field = $("#api-key");
    if (!field) return;
    field.value = apiKey();
    field.addEventListener("input", () => sessionStorage.setItem(KEY_STORAGE, field.value.trim()));
    $("#key-form").addEventListener("submit", (event) => event.preventDefault());
    $("#forget-key").addEventListener("click", () => {
      sessionStorage.removeItem(KEY_STORAGE);
      field.value = "";
      field.focus();
    });
  }

  function wireCheck() {
    const input = $("#file");
    const drop = $("#upload-form");
    input.addEventListener("change", () => {
      if (input.files.length) check({ file: input.files[0] });
    });
    drop.addEventListener("submit", (event) => event.preventDefault());
    for (const name of ["dragenter", "dragover"]) {
      drop.addEventListener(name, (event) => {
        event.preventDefault();
        drop.classList.add("is-over");
      });
    }
    for (const name of ["dragleave", "drop"]) {
      drop.addEventListener(name, () => drop.classList.remove("is-over"));
    }
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      const file = event.dataTransfer.files[0];
      if (file) check({ file });
    });
    $("#url-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const url = $("#url").value.trim();
      if (url) check({ url });
      else showProblem($("#check-result"), "Paste the URL of the hold music first.");
    });
    $("#check-result").addEventListener("click", (event) => {
      const button = event.target.closest("[data-action=fix]");
      if (button) fix(button);
    });
  }

  function wireDialin() {
    const text = $("#dialin-body");
    $("#dialin-example").addEventListener("click", () => {
      text.value = text.dataset.example;
      text.focus();
    });
    $("#dialin-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (text.value.trim()) validateDialin(text.value);
      else showProblem($("#dialin-result"), "Paste the JSON body of the config first.");
    });
  }

  wireTabs();
  wireKey();
  wireCheck();
  wireDialin();
  document.documentElement.dataset.ready = "true";
})();
