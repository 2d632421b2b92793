// ProdOps Hub in the browser: sign-in, then four tabs over the gateway's /api/v1. No framework.

const API = "/api/v1";
const PAGE_SIZE = 20;
const SOURCES = ["intercom", "zendesk", "helpscout", "linear", "github", "canny", "jira", "gong", "chorus",
  "hubspot", "salesforce", "api", "import"];
const CATEGORIES = ["bug", "feature_request", "improvement", "question", "complaint", "praise"];
const PRIORITIES = ["critical", "high", "medium", "low"];
const TIERS = ["free", "pro", "enterprise"];
const LAUNCH_STATUSES = ["in_dev", "beta", "at_risk", "shipped"];
const TEAMS = ["engineering", "ml", "product"];

const state = { token: null, role: "viewer", subject: "", tab: "overview", offset: 0, year: new Date().getFullYear() };
const $ = (selector) => document.querySelector(selector);

// --- small helpers ------------------------------------------------------------------------------

/** An element with attributes (on* are listeners) and children (strings become text, never HTML). */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  return fill(node, ...children);
}

/** Replace a node's children; nested lists are flattened, null and undefined left out. */
function fill(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== undefined));
  return node;
}

const label = (value) => (value ? value[0].toUpperCase() + value.slice(1).replaceAll("_", " ") : "—");
const number = (value) => new Intl.NumberFormat().format(value);
const count = (value, one, many) => `${number(value)} ${value === 1 ? one : many}`;
const money = (value) => new Intl.NumberFormat(undefined, { style: "currency", currency: "USD", notation: "compact" }).format(value);
const percent = (value) => `${Math.round(value * 100)}%`;
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "never");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function fillSelect(select, allLabel, values) {
  select.replaceChildren(h("option", { value: "" }, allLabel), ...values.map((value) => h("option", { value }, label(value))));
}

/** Ask the gateway; a 401 sends the user back to sign in. Returns the parsed JSON. */
async function api(path, options = {}) {
  const response = await fetch(API + path, {
    ...options,
    headers: { Authorization: `Bearer ${state.token}`, "Content-Type": "application/json" },
  });
  if (response.status === 401) {
    signOut("Your token was refused (expired, revoked or mistyped). Sign in again.");
    throw new Error("unauthorized");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.detail ? JSON.stringify(body.detail) : `HTTP ${response.status}`);
  return body;
}

/** Poll `read` until `done(result)`; the gateway shows a write once its event is folded. */
async function waitFor(read, done, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await read();
    if (done(result) || Date.now() > deadline) return result;
    await sleep(400);
  }
}

// --- sign-in ------------------------------------------------------------------------------------

/** The token's claims (the JWT's middle part); only to shape the UI, the server enforces roles. */
function claims(token) {
  try {
    const part = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return null;
  }
}

function showSignin(message) {
  $("#hub").hidden = true;
  $("#signin").hidden = false;
  $("#signin-message").hidden = !message;
  $("#signin-message").textContent = message || "";
  $("#token").focus();
}

function signOut(message) {
  sessionStorage.removeItem("token");
  state.token = null;
  showSignin(message);
}

function signIn(token) {
  const payload = claims(token);
  if (!payload?.role) return showSignin("That does not look like a ProdOps token.");
  Object.assign(state, { token, role: payload.role, subject: payload.sub || "" });
  sessionStorage.setItem("token", token);
  $("#who").textContent = `${state.subject} · ${state.role}`;
  $("#signin").hidden = true;
  $("#hub").hidden = false;
  showTab(location.hash.slice(1) || "overview");
}

const canEdit = () => state.role === "editor" || state.role === "admin";

// --- tabs ---------------------------------------------------------------------------------------

const loaders = { overview: loadOverview, feedback: loadFeedback, calendar: loadCalendar, checklists: loadChecklists };

function showTab(name) {
  if (!loaders[name]) name = "overview";
  state.tab = name;
  history.replaceState(null, "", `#${name}`);
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const section of document.querySelectorAll(".tab")) section.hidden = section.id !== `tab-${name}`;
  $("#drawer").hidden = true;
  loaders[name]().catch(showError);
}

function showError(error) {
  if (error.message === "unauthorized") return;
  const section = $(`#tab-${state.tab}`);
  section.querySelector(".load-error")?.remove();
  section.prepend(h("p", { class: "error load-error", role: "alert" }, `Could not load: ${error.message}`));
}

// --- overview -----------------------------------------------------------------------------------

async function loadOverview() {
  const data = await api("/overview");
  const negative = data.sentiment.negative_share;
  $("#metrics").replaceChildren(
    metric("Feedback items", number(data.total),
      `${number(data.volume.last_7_days)} in the last 7 days, ${number(data.volume.previous_7_days)} the 7 before`),
    metric("Critical & high, open", number(data.critical_high_open), `of ${number(data.total)} items`),
    metric("Negative sentiment", negative === null ? "—" : percent(negative),
      `n = ${number(data.sentiment.sample_size)} scored items`),
    metric("ARR asking", money(data.customers_asking.arr), `${number(data.customers_asking.customers)} known customers`),
  );
  $("#by-category").replaceChildren(barChart(CATEGORIES.map((name) => [name, data.by_category[name] || 0]), data.total));
  $("#top-areas").replaceChildren(
    ...(data.top_product_areas.length
      ? data.top_product_areas.map((area) => h("li", {}, h("span", {}, area.product_area), h("strong", {}, number(area.count))))
      : [h("li", { class: "muted" }, "No product areas yet")]),
  );
  $("#upcoming").replaceChildren(
    ...(data.upcoming_launches.length
      ? data.upcoming_launches.map((launch) => h("li", {},
        h("span", {}, launch.name, h("small", { class: "muted" }, ` · ${label(launch.team)} · ${label(launch.status)}`)),
        h("strong", {}, launch.target_date)))
      : [h("li", { class: "muted" }, "Nothing scheduled")]),
  );
  $("#last-updated").textContent = `Last updated ${when(data.last_updated)}`;
}

function metric(title, value, sample) {
  return h("div", { class: "metric" },
    h("span", { class: "label" }, title), h("span", { class: "value" }, value), h("span", { class: "sample" }, sample));
}

/** Vertical bars in SVG, the y-axis from 0; a bar opens its items. */
function barChart(rows, total) {
  const width = 560, height = 220, left = 36, bottom = 40, top = 14;
  const max = Math.max(1, ...rows.map(([, count]) => count));
  const step = (width - left) / rows.length;
  const y = (count) => height - bottom - (count / max) * (height - bottom - top);
  const ns = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img",
    "aria-label": `Feedback by category, n = ${total}` });
  for (const tick of [0, max]) {
    chart.append(svg("line", { x1: left, x2: width, y1: y(tick), y2: y(tick), class: "axis" }));
    chart.append(svg("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, number(tick)));
  }
  rows.forEach(([name, count], index) => {
    const x = left + index * step + step * 0.2;
    const bar = svg("rect", { x, y: y(count), width: step * 0.6, height: height - bottom - y(count), class: "bar" });
    bar.append(svg("title", {}, `${label(name)}: ${count}`));
    bar.style.cursor = "pointer";
    bar.addEventListener("click", () => openFeedback({ category: name }));
    chart.append(bar, svg("text", { x: x + step * 0.3, y: y(count) - 4, "text-anchor": "middle", class: "count" }, count));
    chart.append(svg("text", { x: x + step * 0.3, y: height - bottom + 16, "text-anchor": "middle" }, label(name)));
  });
  chart.append(svg("text", { x: width, y: height - 4, "text-anchor": "end" }, `n = ${number(total)} items`));
  return chart;
}

// --- feedback -----------------------------------------------------------------------------------

function openFeedback(filters) {
  const form = $("#filters");
  form.reset();
  for (const [name, value] of Object.entries(filters)) form.elements[name].value = value;
  state.offset = 0;
  showTab("feedback");
}

async function loadFeedback() {
  const params = new URLSearchParams({ limit: PAGE_SIZE, offset: state.offset });
  for (const [name, value] of new FormData($("#filters"))) if (value.trim()) params.set(name, value.trim());
  const page = await api(`/feedback?${params}`);
  const shown = page.items.length;
  $("#feedback-count").textContent = page.total
    ? `Showing ${page.offset + 1}–${page.offset + shown} of ${count(page.total, "item", "items")}`
    : "No items match these filters";
  $("#feedback-list").replaceChildren(...page.items.map(feedbackRow));
  $("#prev-page").disabled = page.offset === 0;
  $("#next-page").disabled = page.offset + shown >= page.total;
}

function feedbackRow(item) {
  const customer = item.customer.company || "Unknown customer";
  const tier = item.customer.tier ? ` (${item.customer.tier})` : "";
  return h("li", { tabindex: 0, "data-id": item.id, onclick: () => openDetail(item.id).catch(showError),
    onkeydown: (event) => event.key === "Enter" && openDetail(item.id).catch(showError) },
  h("span", { class: "title" }, item.title),
  h("span", { class: "meta" }, `${label(item.source)} · ${customer}${tier} · ${new Date(item.created_at).toLocaleDateString()}`),
  h("span", { class: "badges" },
    h("span", { class: "badge" }, label(item.category)),
    h("span", { class: `badge ${item.priority || ""}` }, label(item.priority))));
}

async function openDetail(id) {
  const item = await api(`/feedback/${id}`);
  const c = item.customer;
  const triage = item.ai_triage;
  fill($("#drawer-body"),
    h("h2", {}, item.title),
    h("p", { class: "muted" }, `${label(item.source)} · ${when(item.created_at)} · ${label(item.status)}`),
    item.description ? h("p", {}, item.description) : null,
    h("h3", {}, "Customer"),
    h("dl", {},
      h("dt", {}, "Who"), h("dd", {}, [c.name, c.email].filter(Boolean).join(" · ") || "—"),
      h("dt", {}, "Company"), h("dd", {}, c.company || (item.customer_known === false ? "Not in the CRM" : "—")),
      h("dt", {}, "Tier"), h("dd", {}, label(c.tier)),
      h("dt", {}, "ARR"), h("dd", {}, c.arr === null ? "—" : money(c.arr)),
      h("dt", {}, "Health"), h("dd", {}, c.health_score === null ? "—" : `${c.health_score}${c.at_risk ? " · at risk" : ""}`)),
    h("h3", {}, "AI triage"),
    triage
      ? [h("dl", {},
        h("dt", {}, "Category"), h("dd", {}, `${label(triage.category)} (${percent(triage.confidence.category)} sure)`),
        h("dt", {}, "Priority"), h("dd", {}, `${label(triage.priority)} (${percent(triage.confidence.priority)} sure)`),
        h("dt", {}, "Sentiment"), h("dd", {}, `${label(triage.sentiment_label)} (${triage.sentiment_score.toFixed(2)})`),
        h("dt", {}, "Product area"), h("dd", {}, triage.product_area || "—"),
        h("dt", {}, "Tags"), h("dd", {}, triage.tags.join(", ") || "—")),
      h("p", { class: "reasoning" }, triage.priority_reasoning)]
      : h("p", { class: "muted" }, "Not triaged yet."),
    correctionControl(item),
    item.overrides.length ? h("h3", {}, "Corrections") : null,
    item.overrides.map((entry) => h("p", { class: "muted" },
      `${entry.actor} set ${[entry.category, entry.priority].filter(Boolean).map(label).join(", ")}` +
      `${entry.reason ? ` (${entry.reason})` : ""} · ${when(entry.occurred_at)}`)),
    h("h3", {}, "Similar items"),
    item.similar_items.length
      ? h("ul", { class: "plain" }, item.similar_items.map((similar) => h("li", {},
        h("a", { href: "#feedback", onclick: (event) => { event.preventDefault(); openDetail(similar.id).catch(showError); } },
          similar.title || similar.id),
        h("span", { class: "muted" }, `similarity ${similar.score.toFixed(2)}`))))
      : h("p", { class: "muted" }, "None found."),
  );
  $("#drawer").hidden = false;
}

/** The seed's control: "AI says Bug, High. Correct? Yes / No", then the right values (editors only). */
function correctionControl(item) {
  if (!canEdit() || !item.ai_triage) return null;
  const ai = item.ai_triage;
  const category = h("select", { name: "category", "aria-label": "Correct category" },
    CATEGORIES.map((value) => h("option", { value, selected: value === item.category }, label(value))));
  const priority = h("select", { name: "priority", "aria-label": "Correct priority" },
    PRIORITIES.map((value) => h("option", { value, selected: value === item.priority }, label(value))));
  const reason = h("input", { name: "reason", placeholder: "Why (optional)", "aria-label": "Reason" });
  const message = h("span", { class: "muted", role: "status" });
  const fix = h("div", { class: "row", hidden: true }, category, priority, reason,
    h("button", { type: "button", onclick: () => submitCorrection(item, { category, priority, reason }, message) }, "Save"));
  return h("div", { class: "correction" },
    h("div", { class: "row" },
      h("span", {}, `AI says ${label(ai.category)}, ${label(ai.priority)}. Correct?`),
      h("button", { type: "button", class: "ghost", onclick: () => { fix.hidden = true; message.textContent = "Thanks, kept as is."; } }, "Yes"),
      h("button", { type: "button", class: "ghost", onclick: () => { fix.hidden = false; message.textContent = ""; } }, "No")),
    fix, message);
}

async function submitCorrection(item, fields, message) {
  const body = {};
  if (fields.category.value !== item.category) body.category = fields.category.value;
  if (fields.priority.value !== item.priority) body.priority = fields.priority.value;
  if (!Object.keys(body).length) return (message.textContent = "Pick a value that differs from the current one.");
  if (fields.reason.value.trim()) body.reason = fields.reason.value.trim();
  message.textContent = "Sent; waiting for triage to confirm…";
  try {
    await api(`/feedback/${item.id}/overrides`, { method: "POST", body: JSON.stringify(body) });
    await waitFor(() => api(`/feedback/${item.id}`), (fresh) => fresh.overrides.length > item.overrides.length);
    await Promise.all([openDetail(item.id), loadFeedback()]);
  } catch (error) {
    message.textContent = `Not saved: ${error.message}`;
  }
}

// --- calendar -----------------------------------------------------------------------------------

async function loadCalendar() {
  const params = new URLSearchParams({ view: "calendar", year: state.year });
  for (const [name, value] of new FormData($("#calendar-filters"))) if (value) params.set(name, value);
  const data = await api(`/launches?${params}`);
  $("#calendar-year").textContent = data.year;
  $("#calendar-count").textContent = `${count(data.total, "launch", "launches")} in ${data.year}`;
  $("#months").replaceChildren(...data.months.map((month) => h("div", { class: "month" },
    h("h3", {}, month.name, h("span", { class: "muted" }, String(month.launches.length))),
    h("ul", {}, month.launches.map((launch) => h("li", { class: `launch ${launch.status}` },
      launch.name,
      h("small", {}, `${launch.target_date} · ${label(launch.team)} · ${label(launch.status)}` +
        (launch.readiness === null ? "" : ` · ${percent(launch.readiness)} ready`))))))));
}

// --- checklists ---------------------------------------------------------------------------------

async function loadChecklists() {
  const picker = $("#launch-pick");
  const { items } = await api("/launches?view=list");
  const chosen = picker.value;
  picker.replaceChildren(...items.map((launch) => h("option", { value: launch.id },
    `${launch.name} · ${launch.target_date} · ${label(launch.status)}`)));
  if (!items.length) return $("#checklist").replaceChildren(h("p", { class: "muted" }, "No launches yet."));
  if (items.some((launch) => launch.id === chosen)) picker.value = chosen;
  await loadChecklist(picker.value);
}

async function loadChecklist(launchId) {
  const checklist = await api(`/launches/${launchId}/checklist`);
  const teams = Object.keys(checklist.readiness.by_team);
  $("#checklist").replaceChildren(
    h("div", { class: "card" },
      h("h2", {}, `${checklist.launch_name}: ${percent(checklist.readiness.overall)} ready`),
      readinessBar(checklist.readiness.overall),
      h("p", { class: "muted" }, `${checklist.items.filter((item) => item.done).length} of ${checklist.items.length} items done`)),
    h("div", { class: "teams" }, teams.map((team) => h("div", { class: "card", "data-team": team },
      h("h3", {}, label(team), h("span", { class: "muted" }, percent(checklist.readiness.by_team[team]))),
      readinessBar(checklist.readiness.by_team[team]),
      checklist.items.filter((item) => item.team === team).map((item) => checklistItem(launchId, item))))),
  );
}

function readinessBar(share) {
  return h("div", { class: "readiness", role: "meter", "aria-valuemin": 0, "aria-valuemax": 1, "aria-valuenow": share },
    h("span", { style: `width:${percent(share)}` }));
}

function checklistItem(launchId, item) {
  const box = h("input", { type: "checkbox", checked: item.done, disabled: !canEdit(), "data-item": item.id,
    onchange: () => tick(launchId, item.id, box) });
  const by = item.done_by ? h("small", {}, ` ${item.done ? "ticked" : "unticked"} by ${item.done_by}, ${when(item.done_at)}`) : null;
  return h("label", {}, box, h("span", {}, item.title, by));
}

async function tick(launchId, itemId, box) {
  box.disabled = true;
  try {
    await api(`/launches/${launchId}/checklist/${encodeURIComponent(itemId)}`, {
      method: "PATCH", body: JSON.stringify({ done: box.checked }),
    });
    await waitFor(() => api(`/launches/${launchId}/checklist`),
      (fresh) => fresh.items.find((item) => item.id === itemId)?.done === box.checked);
  } catch (error) {
    box.after(h("small", { class: "error" }, ` Not saved: ${error.message}`));
    return;
  }
  await loadChecklist(launchId);
}

// --- theme and start ----------------------------------------------------------------------------

function applyTheme() {
  const chosen = localStorage.getItem("theme");
  const dark = chosen ? chosen === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.classList.toggle("dark", dark);
}

function start() {
  applyTheme();
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", applyTheme);
  $("#theme-toggle").addEventListener("click", () => {
    localStorage.setItem("theme", document.documentElement.classList.contains("dark") ? "light" : "dark");
    applyTheme();
  });
  $("#signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("#token").value.trim());
  });
  $("#signout").addEventListener("click", () => signOut("Signed out."));
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }

  const filters = $("#filters");
  fillSelect(filters.elements.source, "All sources", SOURCES);
  fillSelect(filters.elements.category, "All categories", CATEGORIES);
  fillSelect(filters.elements.priority, "All priorities", PRIORITIES);
  fillSelect(filters.elements.tier, "All tiers", TIERS);
  const refilter = () => { state.offset = 0; loadFeedback().catch(showError); };
  filters.addEventListener("change", refilter);
  filters.addEventListener("submit", (event) => event.preventDefault());
  $("#prev-page").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE_SIZE); loadFeedback().catch(showError); });
  $("#next-page").addEventListener("click", () => { state.offset += PAGE_SIZE; loadFeedback().catch(showError); });
  $("#drawer-close").addEventListener("click", () => { $("#drawer").hidden = true; });

  const calendar = $("#calendar-filters");
  fillSelect(calendar.elements.status, "All statuses", LAUNCH_STATUSES);
  fillSelect(calendar.elements.team, "All teams", TEAMS);
  calendar.addEventListener("change", () => loadCalendar().catch(showError));
  $("#year-prev").addEventListener("click", () => { state.year -= 1; loadCalendar().catch(showError); });
  $("#year-next").addEventListener("click", () => { state.year += 1; loadCalendar().catch(showError); });
  $("#launch-pick").addEventListener("change", (event) => loadChecklist(event.target.value).catch(showError));

  const token = sessionStorage.getItem("token");
  if (token) signIn(token);
  else showSignin();
}

start();
