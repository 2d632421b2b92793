// ProdOps Hub in the browser: sign-in, then five tabs over the gateway's /api/v1. No framework.

const API = "/api/v1";
const PAGE_SIZE = 20;
const THEME_PAGE_SIZE = 20;
const SOURCES = ["intercom", "zendesk", "helpscout", "linear", "github", "canny", "jira", "gong", "chorus",
  "hubspot", "salesforce", "api", "import"];
const CATEGORIES = ["bug", "feature_request", "improvement", "question", "complaint", "praise"];
const PRIORITIES = ["critical", "high", "medium", "low"];
const TIERS = ["free", "pro", "enterprise"];
const LAUNCH_STATUSES = ["in_dev", "beta", "at_risk", "shipped"];
const TEAMS = ["engineering", "ml", "product"];

const state = {
  token: null, role: "viewer", subject: "", tab: "overview", themeOffset: 0, year: new Date().getFullYear(),
  // The feedback list pages by cursor: the cursor of each page up to the one shown (the first's is null), and the
  // next page's. Going back pops one; a new filter starts again. A refresh reloads the page shown from its cursor.
  cursors: [null], nextCursor: null,
};
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

/** An SVG element with attributes and, optionally, its text. */
function svg(tag, attrs, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function fillSelect(select, allLabel, values) {
  select.replaceChildren(h("option", { value: "" }, allLabel), ...values.map((value) => h("option", { value }, label(value))));
}

/** Ask the gateway; a 401 sends the user back to sign in. Returns the parsed JSON. */
async function api(path, options = {}) {
  const sent = credentials();
  const response = await fetch(API + path, { ...options, headers: { ...sent, "Content-Type": "application/json" } });
  if (response.status === 401) {
    // The first refusal signs out and says why; the requests still in flight have nothing to add.
    if (signedIn()) {
      signOut(sent.Authorization ? "Your token was refused (expired, revoked or mistyped). Sign in again."
        : "Your session has ended. Sign in again.");
    }
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

/**
 * Poll `read` until `done`, as waitFor, and the command's outcome with it: a refusal by its owning service (an
 * unknown launch, an impossible merge) ends the wait at once, with the owner's reason. The writes are sent without
 * the API's `wait`: the gateway learns of refusals only, so a wait would hold back every write that succeeds.
 */
async function waitForOutcome(commandId, read, done) {
  let refusal = null;
  const result = await waitFor(async () => {
    const outcome = await api(`/commands/${commandId}`).catch(() => null);
    if (outcome?.status === "rejected") refusal = outcome;
    return refusal ? null : read();
  }, (fresh) => refusal !== null || (fresh !== null && done(fresh)));
  return { result, refusal };
}

/**
 * A write the owning service applies later: post it, wait until the read model shows it (`read` until `done`) or
 * the owner refuses it (the reason shows at once), then `after(result)`; `message` tells the person where it stands.
 */
async function send(message, owner, path, body, { read, done, after }) {
  message.textContent = `Sent; waiting for ${owner} to confirm…`;
  let accepted;
  try {
    accepted = await api(path, { method: "POST", body: JSON.stringify(body) });
  } catch (error) {
    message.textContent = `Not saved: ${error.message}`;
    return;
  }
  const safeRead = () => read().catch(() => null);  // a theme a split creates is a 404 until it is folded
  const { result, refusal } = await waitForOutcome(accepted.command_id, safeRead, done);
  if (refusal) {
    message.textContent = `${owner} refused it: ${refusal.reason}`;
    return;
  }
  if (result === null || !done(result)) {
    message.textContent = `Sent; ${owner} has not applied it yet. Look again in a moment.`;
    return;
  }
  await after(result);
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

// A sign-in with the provider leaves an HttpOnly session cookie the page never sees; the gateway tells
// who it is (GET /auth/me) and the CSRF token every write on that cookie must carry.
const session = { csrf: null };
const signedIn = () => Boolean(state.token || session.csrf);

/** A pasted token goes as the bearer header; a session rides on its cookie, its writes with the CSRF header. */
function credentials() {
  if (state.token) return { Authorization: `Bearer ${state.token}` };
  return session.csrf ? { "X-CSRF-Token": session.csrf } : {};
}

function signOut(message) {
  sessionStorage.removeItem("token");
  if (session.csrf) fetch("/auth/logout", { method: "POST" }).catch(() => {});
  state.token = session.csrf = null;
  stopLive();
  showSignin(message);
}

function signIn(token) {
  const payload = claims(token);
  if (!payload?.role) return showSignin("That does not look like a ProdOps token.");
  state.token = token;
  sessionStorage.setItem("token", token);
  enter(payload.sub || "", payload.role);
}

/** Offer "Sign in with <provider>" when the gateway has one (GET /auth/config). */
async function loadSignInOptions() {
  const options = await fetch("/auth/config").then((response) => response.json()).catch(() => null);
  const button = $("#signin-oidc");
  button.hidden = !options?.oidc;
  if (!options?.oidc) return;
  button.textContent = `Sign in with ${options.oidc.name}`;
  button.onclick = () => location.assign(options.oidc.login_url);
}

/** Back from the provider (or a reload): the session's user, else the sign-in form with the gateway's message. */
async function resumeSession() {
  const message = new URLSearchParams(location.search).get("signin_error");
  if (message) history.replaceState(null, "", location.pathname + location.hash);
  const me = await fetch("/auth/me").then((response) => (response.ok ? response.json() : null)).catch(() => null);
  if (me?.via !== "session") return showSignin(message);
  session.csrf = me.csrf_token;
  enter(me.subject, me.role);
}

/** Show the hub; the role only shapes the page (the gateway enforces it on every request). */
function enter(subject, role) {
  Object.assign(state, { subject, role });
  $("#who").textContent = `${state.subject} · ${state.role}`;
  $("#signin").hidden = true;
  $("#hub").hidden = false;
  showTab(location.hash.slice(1) || "overview");
  loadThemeOptions().catch(showError);
  startLive();
}

// --- live updates -------------------------------------------------------------------------------

// Which changes each tab shows; a change elsewhere leaves the visible tab alone.
const LIVE_KINDS = {
  overview: ["feedback", "theme", "launch", "notification"], feedback: ["feedback", "theme"],
  themes: ["feedback", "theme"], calendar: ["launch"], checklists: ["launch"],
};
const LIVE_DEBOUNCE_MS = 1000;
const live = { source: null, refresh: null, retry: null };

function setLive(on) {
  const badge = $("#live");
  badge.classList.toggle("on", on);
  badge.textContent = on ? "● live" : "○ offline";
  badge.title = on ? "Updates appear as they are folded" : "Not receiving updates; reconnecting";
}

/** Refresh the visible tab once changes stop arriving for a moment (a burst is one reload, not hundreds). */
function refreshSoon(kind) {
  if (kind && !LIVE_KINDS[state.tab].includes(kind)) return;
  clearTimeout(live.refresh);
  live.refresh = setTimeout(refreshTab, LIVE_DEBOUNCE_MS);
}

/** Listen to /api/v1/stream with a fresh one-minute ticket (EventSource cannot send the bearer header). */
async function startLive() {
  stopLive();
  let ticket;
  try {
    ({ ticket } = await api("/stream/ticket", { method: "POST" }));
  } catch {
    if (signedIn()) live.retry = setTimeout(startLive, 5000);
    return;
  }
  if (!signedIn()) return;
  const source = new EventSource(`${API}/stream?ticket=${encodeURIComponent(ticket)}`);
  live.source = source;
  source.addEventListener("open", () => setLive(true));
  source.addEventListener("change", (event) => refreshSoon(JSON.parse(event.data).kind));
  // Too far behind: the server dropped the changes it could not hold; reload and listen anew.
  source.addEventListener("reload", () => { refreshSoon(null); startLive(); });
  source.addEventListener("error", () => {
    setLive(false);
    // EventSource retries a dropped stream itself, but not a refused one (an expired ticket): a new ticket.
    if (source.readyState === EventSource.CLOSED) live.retry = setTimeout(startLive, 3000);
  });
}

function stopLive() {
  clearTimeout(live.retry);
  clearTimeout(live.refresh);
  live.source?.close();
  live.source = null;
  setLive(false);
}

const canEdit = () => state.role === "editor" || state.role === "admin";

// --- tabs ---------------------------------------------------------------------------------------

const loaders = {
  overview: loadOverview, feedback: loadFeedback, themes: loadThemes, calendar: loadCalendar, checklists: loadChecklists,
};

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
  $("#by-category").replaceChildren(barChart(
    CATEGORIES.map((name) => [name, data.by_category[name] || 0, label(name)]),
    { title: "Feedback by category", sample: `n = ${number(data.total)} items`, onBar: (name) => openFeedback({ category: name }) },
  ));
  $("#over-time").replaceChildren(...overTimeChart(data.over_time, data.last_updated));
  $("#top-themes").replaceChildren(
    ...(data.top_themes.length
      ? data.top_themes.map((theme) => h("li", {},
        h("a", { href: "#themes", onclick: (event) => { event.preventDefault(); openTheme(theme.id); } }, themeName(theme)),
        h("span", { class: "muted" },
          `${money(theme.arr)} · ${count(theme.customers, "customer", "customers")} · ${count(theme.items, "item", "items")}`)))
      : [h("li", { class: "muted" }, "No themes yet")]),
  );
  $("#top-areas").replaceChildren(
    ...(data.top_product_areas.length
      ? data.top_product_areas.map((area) => h("li", {}, h("span", {}, area.product_area), h("strong", {}, number(area.count))))
      : [h("li", { class: "muted" }, "No product areas yet")]),
  );
  $("#upcoming").replaceChildren(
    ...(data.upcoming_launches.length
      ? data.upcoming_launches.map((launch) => h("li", {},
        h("span", {}, h("a", { href: "#checklists", onclick: (event) => { event.preventDefault(); openChecklist(launch.id); } },
          launch.name), h("small", { class: "muted" }, ` · ${label(launch.team)} · ${label(launch.status)}` +
          (launch.readiness === null ? "" : ` · ${percent(launch.readiness)} ready`))),
        h("strong", {}, launch.target_date)))
      : [h("li", { class: "muted" }, "Nothing scheduled")]),
  );
  $("#last-updated").textContent = `Last updated ${when(data.last_updated)}`;
  performance.mark("overview-rendered");  // bench/web_ui.py reads it: the first screen is interactive
}

function metric(title, value, sample) {
  return h("div", { class: "metric" },
    h("span", { class: "label" }, title), h("span", { class: "value" }, value), h("span", { class: "sample" }, sample));
}

/**
 * Vertical bars in SVG, the y-axis from 0, with the sample size. Rows are [key, count, caption];
 * `onBar(key)` makes a bar open its items; `compact` leaves out the captions and the counts.
 */
function barChart(rows, { title, sample, onBar = null, compact = false }) {
  const [width, height, left, bottom, top] = compact ? [240, 72, 24, 16, 8] : [560, 220, 36, 40, 14];
  const max = Math.max(1, ...rows.map(([, count]) => count));
  const step = (width - left) / rows.length;
  const y = (count) => height - bottom - (count / max) * (height - bottom - top);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: compact ? "chart compact" : "chart", role: "img",
    "aria-label": `${title}, ${sample}` });
  for (const tick of [0, max]) {
    chart.append(svg("line", { x1: left, x2: width, y1: y(tick), y2: y(tick), class: "axis" }));
    chart.append(svg("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, number(tick)));
  }
  rows.forEach(([key, count, caption], index) => {
    const x = left + index * step + step * 0.2;
    const bar = svg("rect", { x, y: y(count), width: step * 0.6, height: height - bottom - y(count), class: "bar" });
    bar.append(svg("title", {}, `${caption}: ${count}`));
    if (onBar) {
      bar.style.cursor = "pointer";
      bar.addEventListener("click", () => onBar(key));
    }
    chart.append(bar);
    if (compact) return;
    chart.append(svg("text", { x: x + step * 0.3, y: y(count) - 4, "text-anchor": "middle", class: "count" }, count));
    chart.append(svg("text", { x: x + step * 0.3, y: height - bottom + 16, "text-anchor": "middle" }, caption));
  });
  chart.append(svg("text", { x: width, y: height - 4, "text-anchor": "end" }, sample));
  return chart;
}

const OVER_TIME_COLOURS = [...CATEGORIES, "uncategorized"];

/** The week's days as the Feedback tab's date filters: Monday to Sunday, both shown. */
const weekFilters = (week, category) => ({ ...(category ? { category } : {}), created_from: week.start, created_to: week.end });
const nextDay = (day) => new Date(Date.parse(`${day}T00:00:00Z`) + 86400000).toISOString().slice(0, 10);
const shortDate = (day) => new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });

/** The smallest of 1, 2, 2.5, 5 times a power of ten at or above `value` (whole numbers up to 5). */
function niceCeiling(value) {
  if (value <= 5) return Math.max(1, Math.ceil(value));
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((step) => step * power).find((top) => top >= value);
}

/**
 * Items per ISO week, stacked by category, the y-axis from 0; each segment opens its items in Feedback
 * (that category, that week), each legend entry the category over all the weeks. Returns [chart, legend, caption].
 */
function overTimeChart(series, lastUpdated) {
  // A phone gets a narrower drawing (so its text stays legible) and every third week's label.
  const narrow = matchMedia("(max-width: 720px)").matches;
  const [width, height, left, bottom, top] = narrow ? [360, 200, 30, 30, 16] : [720, 230, 34, 30, 16];
  const weeks = series.weeks;
  const stacks = weeks.map((week) => [...series.categories.map((name) => [name, week.by_category[name] || 0]),
    ["uncategorized", week.uncategorized]]);
  const max = niceCeiling(Math.max(0, ...weeks.map((week) => week.total)));
  const step = (width - left) / weeks.length;
  const y = (value) => height - bottom - (value / max) * (height - bottom - top);
  const first = weeks[0], last = weeks[weeks.length - 1];
  const sample = `n = ${count(series.sample_size, "item", "items")} created ${shortDate(first.start)} – ${shortDate(last.end)}`;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart stacked", role: "img",
    "aria-label": `Feedback per week by category, ${sample}` });
  for (const tick of [0, max / 2, max].filter(Number.isInteger)) {
    chart.append(svg("line", { x1: left, x2: width, y1: y(tick), y2: y(tick), class: "axis" }));
    chart.append(svg("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, number(tick)));
  }
  weeks.forEach((week, index) => {
    const x = left + index * step + step * 0.15;
    let base = 0;
    for (const [name, value] of stacks[index]) {
      if (!value) continue;
      const segment = svg("rect", { x, y: y(base + value), width: step * 0.7, height: y(base) - y(base + value),
        class: `segment cat-${name}`, tabindex: 0, "data-category": name, "data-week": week.week, "data-count": value });
      segment.append(svg("title", {}, `${week.week} (${shortDate(week.start)} – ${shortDate(week.end)}): ` +
        `${name === "uncategorized" ? "not triaged yet" : label(name)} ${value}`));
      const open = () => openFeedback(weekFilters(week, name === "uncategorized" ? null : name));
      segment.addEventListener("click", open);
      segment.addEventListener("keydown", (event) => event.key === "Enter" && open());
      chart.append(segment);
      base += value;
    }
    chart.append(svg("text", { x: x + step * 0.35, y: y(week.total) - 4, "text-anchor": "middle", class: "count" },
      week.total ? week.total : ""));
    const labelled = !narrow || (weeks.length - 1 - index) % 3 === 0;
    chart.append(svg("text", { x: x + step * 0.35, y: height - bottom + 14, "text-anchor": "middle" },
      index === weeks.length - 1 ? "now" : labelled ? week.week.slice(5) : ""));
  });
  const totals = Object.fromEntries(OVER_TIME_COLOURS.map((name) => [name,
    weeks.reduce((sum, week) => sum + (name === "uncategorized" ? week.uncategorized : week.by_category[name] || 0), 0)]));
  const legend = h("ul", { class: "legend" }, OVER_TIME_COLOURS
    .filter((name) => name !== "uncategorized" || totals[name])
    .map((name) => h("li", {}, h("button", { type: "button", class: "ghost", "data-category": name,
      title: name === "uncategorized" ? "Items the AI has not triaged yet" : `${label(name)}: every item of these weeks`,
      onclick: () => openFeedback(weekFilters({ start: first.start, end: last.end }, name === "uncategorized" ? null : name)) },
    h("span", { class: `swatch cat-${name}` }), `${name === "uncategorized" ? "Not triaged yet" : label(name)} `,
    h("span", { class: "muted" }, number(totals[name]))))));
  const caption = h("p", { class: "muted caption" },
    `${sample} · ${weeks.length} ISO weeks (UTC), this week so far last · updated ${when(lastUpdated)}`);
  return [chart, legend, caption];
}

// --- feedback -----------------------------------------------------------------------------------

function openFeedback(filters) {
  const form = $("#filters");
  form.reset();
  for (const [name, value] of Object.entries(filters)) {
    const field = form.elements[name];
    // A theme picked elsewhere may not be among the options loaded at sign-in.
    if (field.tagName === "SELECT" && ![...field.options].some((option) => option.value === value)) {
      field.append(h("option", { value }, value));
    }
    field.value = value;
  }
  state.cursors = [null];
  showTab("feedback");
}

async function loadFeedback() {
  const params = new URLSearchParams({ limit: PAGE_SIZE });
  const cursor = state.cursors.at(-1);
  if (cursor) params.set("cursor", cursor);
  for (const [name, value] of new FormData($("#filters"))) if (value.trim()) params.set(name, value.trim());
  if (params.has("created_to")) params.set("created_to", nextDay(params.get("created_to")));
  const page = await api(`/feedback?${params}`);
  const shown = page.items.length, first = (state.cursors.length - 1) * PAGE_SIZE + 1;
  $("#feedback-count").textContent = page.total
    ? `Showing ${number(first)}–${number(first + shown - 1)} of ${page.total_at_least
      ? `${number(page.total)}+ items` : count(page.total, "item", "items")}`
    : "No items match these filters";
  $("#feedback-list").replaceChildren(...page.items.map(feedbackRow));
  state.nextCursor = page.next_cursor;
  $("#prev-page").disabled = state.cursors.length <= 1;
  $("#next-page").disabled = !page.next_cursor;
}

function feedbackRow(item) {
  const customer = item.customer.company || "Unknown customer";
  const tier = item.customer.tier ? ` (${item.customer.tier})` : "";
  return h("li", { tabindex: 0, "data-id": item.id, onclick: () => openDetail(item.id).catch(showError),
    onkeydown: (event) => event.key === "Enter" && openDetail(item.id).catch(showError) },
  h("span", { class: "title" }, item.title),
  h("span", { class: "meta" }, `${label(item.source)} · ${customer}${tier} · ${new Date(item.created_at).toLocaleDateString()}`),
  h("span", { class: "badges" },
    item.duplicate_of ? h("span", { class: "badge", title: "Its votes count in the item it duplicates" }, "Duplicate")
      : h("span", { class: "badge votes", title: "Votes, with those of its merged duplicates" }, `▲ ${number(item.vote_total)}`),
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
    item.theme ? h("p", { class: "theme-of" }, "Theme: ",
      h("a", { href: "#themes", onclick: (event) => { event.preventDefault(); openTheme(item.theme.id); } },
        item.theme.name || "Unnamed theme")) : null,
    item.description ? h("p", {}, item.description) : null,
    h("h3", {}, "Customer"),
    h("dl", {},
      h("dt", {}, "Who"), h("dd", {}, [c.name, c.email].filter(Boolean).join(" · ") || "—"),
      h("dt", {}, "Company"), h("dd", {}, c.company || (item.customer_known === false ? "Not in the CRM" : "—")),
      h("dt", {}, "Tier"), h("dd", {}, label(c.tier)),
      h("dt", {}, "ARR"), h("dd", {}, c.arr === null ? "—" : money(c.arr)),
      h("dt", {}, "Health"), h("dd", {}, c.health_score === null ? "—" : `${c.health_score}${c.at_risk ? " · at risk" : ""}`)),
    historySection(item.customer_history),
    await duplicatesSection(item),
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
  await send(message, "triage", `/feedback/${item.id}/overrides`, body, {
    read: () => api(`/feedback/${item.id}`),
    done: (fresh) => fresh.overrides.length > item.overrides.length,
    after: () => Promise.all([openDetail(item.id), loadFeedback()]),
  });
}

/** What the hub had heard from this customer before: previous items, negative ones lately, churn signals. */
function historySection(history) {
  if (!history) return null;
  return h("div", { class: "history" },
    h("h3", {}, "Customer history"),
    h("p", {}, `${count(history.previous_items, "previous item", "previous items")} · ` +
      `${number(history.negative_items_recent)} negative lately`),
    history.churn_signals.length ? h("p", { class: "error" }, `Churn signals: ${history.churn_signals.join("; ")}`) : null,
    history.items.length
      ? h("ul", { class: "plain" }, history.items.map((previous) => h("li", {},
        previous.title
          ? h("a", { href: "#feedback", onclick: (event) => { event.preventDefault(); openDetail(previous.id).catch(showError); } },
            previous.title)
          : h("span", { class: "muted" }, "Not in the hub yet"),
        h("span", { class: "muted" }, previous.created_at ? new Date(previous.created_at).toLocaleDateString() : ""))))
      : null);
}

const itemLink = (id, text) => h("a", { href: "#feedback",
  onclick: (event) => { event.preventDefault(); openDetail(id).catch(showError); } }, text);

/** Where the item stands among duplicates: its parent, or its votes and the items merged into it. */
async function duplicatesSection(item) {
  const message = h("span", { class: "muted", role: "status" });
  const parts = [h("h3", {}, "Votes and duplicates")];
  if (item.duplicate_of) {
    const parent = await api(`/feedback/${item.duplicate_of}`).catch(() => null);
    const link = item.duplicate_link;
    parts.push(
      h("p", { class: "duplicate-of" }, item.duplicate_state === "suggested" ? "Looks like a duplicate of " : "Merged into ",
        itemLink(item.duplicate_of, parent?.title || item.duplicate_of),
        link ? h("span", { class: "muted" }, ` · ${label(link.state)} by ${link.actor}, ${when(link.changed_at)}` +
          (link.score === null ? "" : ` · similarity ${link.score.toFixed(2)}`)) : null),
      h("p", { class: "muted" }, `Its ${count(item.votes, "vote counts", "votes count")} there.`));
    if (canEdit()) {
      parts.push(h("div", { class: "row" },
        h("button", { type: "button", class: "ghost", onclick: () => unmerge(item, message) }, "Unmerge"),
        item.duplicate_state === "suggested"
          ? h("button", { type: "button", class: "ghost", onclick: () => notDuplicate(item, message) }, "Not a duplicate")
          : null));
    }
  } else {
    const merged = item.vote_total - item.votes;
    parts.push(h("p", { class: "votes" }, count(item.vote_total, "vote", "votes"),
      item.duplicates.length ? h("span", { class: "muted" },
        ` (${number(item.votes)} its own, ${number(merged)} from ${count(item.duplicates.length, "merged item", "merged items")})`) : null));
    if (canEdit()) parts.push(mergeControl(item, message));
  }
  if (item.duplicates.length) {
    parts.push(h("h3", {}, "Merged into this"), h("ul", { class: "plain duplicates" }, item.duplicates.map((child) => h("li", {},
      itemLink(child.id, child.title),
      h("span", { class: "muted" },
        `${count(child.votes, "vote", "votes")} · ${child.customer.company || "Unknown customer"} · ${label(child.state)}`)))));
  }
  parts.push(message);
  return h("div", { class: "duplicates-section" }, parts);
}

/** "Merge into…": pick one of the similar items (or give an id), then Merge (editors only). */
function mergeControl(item, message) {
  const target = h("select", { name: "into", "aria-label": "Merge into item" },
    h("option", { value: "" }, "Pick the item it duplicates…"),
    item.similar_items.map((similar) => h("option", { value: similar.id },
      `${similar.title || similar.id} (similarity ${similar.score.toFixed(2)})`)),
    h("option", { value: "other" }, "Another item, by id…"));
  const other = h("input", { name: "into_id", placeholder: "Item id", "aria-label": "Id of the item to merge into", hidden: true });
  target.addEventListener("change", () => { other.hidden = target.value !== "other"; });
  const reason = h("input", { name: "merge_reason", placeholder: "Why (optional)", "aria-label": "Why merge" });
  const go = () => merge(item, target.value === "other" ? other.value.trim() : target.value, reason.value.trim(), message);
  const controls = h("div", { class: "row", hidden: true }, target, other, reason, h("button", { type: "button", onclick: go }, "Merge"));
  return h("div", { class: "curation merge" },
    h("button", { type: "button", class: "ghost", onclick: () => { controls.hidden = !controls.hidden; } }, "Merge into…"),
    controls);
}

const refreshTab = () => loaders[state.tab]().catch(showError);

async function merge(item, intoId, reason, message) {
  if (!intoId) return (message.textContent = "Pick the item it duplicates.");
  await send(message, "dedupe", `/feedback/${item.id}/merge`, reason ? { into_id: intoId, reason } : { into_id: intoId }, {
    read: () => api(`/feedback/${item.id}`),
    done: (fresh) => fresh.duplicate_of === intoId,
    after: () => Promise.all([openDetail(item.id), refreshTab()]),
  });
}

async function unmerge(item, message) {
  await send(message, "dedupe", `/feedback/${item.id}/unmerge`, {}, {
    read: () => api(`/feedback/${item.id}`),
    done: (fresh) => fresh.duplicate_of === null,
    after: () => Promise.all([openDetail(item.id), refreshTab()]),
  });
}

async function notDuplicate(item, message) {
  await send(message, "dedupe", `/feedback/${item.id}/not-duplicate`, {}, {
    read: () => api(`/feedback/${item.id}`),
    done: (fresh) => fresh.duplicate_of === null,
    after: () => Promise.all([openDetail(item.id), refreshTab()]),
  });
}

// --- themes -------------------------------------------------------------------------------------

const themeName = (theme) => theme.name || "Unnamed theme";

function openTheme(id) {
  showTab("themes");
  showTheme(id).catch(showError);
}

async function loadThemes() {
  const params = new URLSearchParams({ limit: THEME_PAGE_SIZE, offset: state.themeOffset });
  for (const [name, value] of new FormData($("#theme-filters"))) if (value.trim()) params.set(name, value.trim());
  const page = await api(`/themes?${params}`);
  const shown = page.items.length;
  $("#themes-count").textContent = (page.total
    ? `Showing ${page.offset + 1}–${page.offset + shown} of ${count(page.total, "theme", "themes")}`
    : "No themes match these filters") + ` · counted ${when(page.computed_at)}`;
  $("#themes-list").replaceChildren(...page.items.map(themeRow));
  $("#themes-prev").disabled = page.offset === 0;
  $("#themes-next").disabled = page.offset + shown >= page.total;
}

/** A theme's numbers; every count is computed from its items, a merged duplicate counted once. */
function themeStats(theme) {
  const stat = (value, what) => h("span", { class: "stat" }, h("strong", {}, value), ` ${what}`);
  return h("div", { class: "stats" },
    stat(number(theme.items), theme.items === 1 ? "item" : "items"),
    stat(number(theme.customers), theme.customers === 1 ? "customer" : "customers"),
    stat(number(theme.votes), theme.votes === 1 ? "vote" : "votes"),
    stat(money(theme.arr), "ARR"),
    theme.at_risk_customers ? stat(number(theme.at_risk_customers), "at risk") : null);
}

function trendChart(theme, compact) {
  return barChart(theme.trend.map((week) => [week.week, week.count, week.week.slice(5)]), {
    title: `Items per week in ${themeName(theme)}`,
    sample: `n = ${number(theme.trend_sample)} in ${theme.trend.length} wk`,
    compact,
  });
}

/** A theme's keywords as small tags beside its name. */
function themeTags(theme) {
  return theme.keywords.length
    ? h("span", { class: "keywords", "aria-label": "Keywords" }, theme.keywords.map((word) => h("span", { class: "tag" }, word)))
    : null;
}

function themeRow(theme) {
  const open = () => showTheme(theme.id).catch(showError);
  return h("li", { tabindex: 0, "data-id": theme.id, onclick: open, onkeydown: (event) => event.key === "Enter" && open() },
    h("span", { class: "title" }, themeName(theme), themeTags(theme)),
    theme.summary ? h("span", { class: "summary" }, theme.summary) : null,
    themeStats(theme),
    h("span", { class: "trend" }, trendChart(theme, true)));
}

async function showTheme(id) {
  const theme = await api(`/themes/${id}`);
  const others = canEdit() && !theme.merged_into
    ? (await api("/themes?limit=200")).items.filter((other) => other.id !== theme.id) : [];
  const card = $("#theme-detail");
  const split = theme.requests.map((request) => h("input", { type: "checkbox", value: request.id, "aria-label": `Split out ${request.title}` }));
  fill(card,
    h("button", { class: "ghost close", "aria-label": "Close theme", onclick: () => { card.hidden = true; } }, "✕"),
    h("h2", {}, themeName(theme), themeTags(theme)),
    theme.summary ? h("p", { class: "summary" }, theme.summary) : null,
    theme.merged_into ? h("p", {}, "Merged into ",
      h("a", { href: "#themes", onclick: (event) => { event.preventDefault(); showTheme(theme.merged_into).catch(showError); } },
        "the theme that took its items")) : null,
    h("p", { class: "muted" }, [
      theme.changed_by ? `named by ${theme.changed_by === "dedupe" ? "the model" : theme.changed_by}, ${when(theme.changed_at)}` : null,
    ].filter(Boolean).join(" · ")),
    themeStats(theme),
    trendChart(theme, false),
    theme.top_product_areas.length ? h("p", {}, "Top product areas: ",
      theme.top_product_areas.map((area) => `${area.product_area} (${number(area.count)})`).join(", ")) : null,
    h("h3", {}, `Requests (${number(theme.requests_total)})`),
    theme.requests.length
      ? h("ul", { class: "plain requests" }, theme.requests.map((request, index) => h("li", {},
        h("span", {}, canEdit() && !theme.merged_into ? split[index] : null, " ", itemLink(request.id, request.title)),
        h("span", { class: "muted" }, `${count(request.vote_total ?? request.votes, "vote", "votes")}` +
          (request.merged ? ` · ${number(request.merged)} merged` : "")))))
      : h("p", { class: "muted" }, "No items yet."),
    h("p", {}, h("a", { href: "#feedback", onclick: (event) => { event.preventDefault(); openFeedback({ theme: theme.id }); } },
      "See its items in Feedback")),
    canEdit() && !theme.merged_into ? themeControls(theme, others, split) : null);
  card.hidden = false;
  card.scrollIntoView({ block: "start" });
}

/** Rename, merge into another theme, split the ticked requests into a new theme (editors only). */
function themeControls(theme, others, split) {
  const message = h("span", { class: "muted", role: "status" });
  const name = h("input", { name: "name", value: theme.name || "", maxlength: 200, "aria-label": "Theme name" });
  const into = h("select", { name: "into", "aria-label": "Merge into theme" },
    h("option", { value: "" }, "Merge into…"), others.map((other) => h("option", { value: other.id }, themeName(other))));
  const newName = h("input", { name: "new_name", maxlength: 200, placeholder: "New theme's name (optional)", "aria-label": "New theme's name" });
  const refreshed = (id) => async () => { await Promise.all([showTheme(id), loadThemes(), loadThemeOptions()]); };
  const rename = () => {
    const wanted = name.value.trim();
    if (!wanted) return (message.textContent = "Give the theme a name.");
    return send(message, "dedupe", `/themes/${theme.id}/rename`, { name: wanted }, {
      read: () => api(`/themes/${theme.id}`), done: (fresh) => fresh.name === wanted, after: refreshed(theme.id),
    });
  };
  const mergeInto = () => {
    if (!into.value) return (message.textContent = "Pick the theme to merge into.");
    const target = into.value;
    return send(message, "dedupe", `/themes/${theme.id}/merge`, { into_id: target }, {
      read: () => api(`/themes/${theme.id}`), done: (fresh) => fresh.merged_into === target, after: refreshed(target),
    });
  };
  const splitOut = async () => {
    const itemIds = split.filter((box) => box.checked).map((box) => box.value);
    if (!itemIds.length) return (message.textContent = "Tick the requests to move into a new theme.");
    const body = newName.value.trim() ? { item_ids: itemIds, name: newName.value.trim() } : { item_ids: itemIds };
    let created = null;
    message.textContent = "Sent; waiting for dedupe to confirm…";
    try {
      created = await api(`/themes/${theme.id}/split`, { method: "POST", body: JSON.stringify(body) });
    } catch (error) {
      return (message.textContent = `Not saved: ${error.message}`);
    }
    const { result: fresh, refusal } = await waitForOutcome(created.command_id,
      () => api(`/themes/${created.theme_id}`).catch(() => null), (result) => result !== null);
    if (refusal) return (message.textContent = `dedupe refused it: ${refusal.reason}`);
    if (fresh === null) return (message.textContent = "Sent; dedupe has not applied it yet. Look again in a moment.");
    await refreshed(created.theme_id)();
  };
  return h("div", { class: "curation theme-controls" },
    h("div", { class: "row" }, name, h("button", { type: "button", onclick: rename }, "Rename")),
    h("div", { class: "row" }, into, h("button", { type: "button", onclick: mergeInto }, "Merge")),
    h("div", { class: "row" }, newName, h("button", { type: "button", onclick: splitOut }, "Split ticked requests")),
    message);
}

/** The feedback list's theme filter: every theme by ARR. */
async function loadThemeOptions() {
  const select = $("#filters").elements.theme;
  const chosen = select.value;
  const { items } = await api("/themes?limit=200");
  fillSelect(select, "All themes", []);
  select.append(...items.map((theme) => h("option", { value: theme.id }, themeName(theme))));
  select.value = chosen;
}

// --- calendar -----------------------------------------------------------------------------------

async function loadCalendar() {
  showCalendarView();
  if (calendarView.current === "timeline") return loadTimeline();
  const data = await api(`/launches?${calendarParams("calendar")}`);
  $("#calendar-year").textContent = data.year;
  $("#calendar-count").textContent = `${count(data.total, "launch", "launches")} in ${data.year}`;
  $("#months").replaceChildren(...data.months.map((month) => h("div", { class: "month" },
    h("h3", {}, month.name, h("span", { class: "muted" }, String(month.launches.length))),
    h("ul", {}, month.launches.map((launch) => h("li", { class: `launch ${launch.status}`, ...opensChecklist(launch) },
      launch.name,
      h("small", {}, `${launch.target_date} · ${label(launch.team)} · ${label(launch.status)}` +
        (launch.readiness === null ? "" : ` · ${percent(launch.readiness)} ready`))))))));
}

const calendarView = { current: localStorage.getItem("calendarView") === "timeline" ? "timeline" : "months" };

/** The calendar's filters (status, team) and year as query parameters of /launches for one view. */
function calendarParams(view) {
  const params = new URLSearchParams({ view, year: state.year });
  for (const [name, value] of new FormData($("#calendar-filters"))) if (value) params.set(name, value);
  return params;
}

function startCalendarViews() {
  for (const button of document.querySelectorAll("#calendar-filters [data-view]")) {
    button.addEventListener("click", () => {
      calendarView.current = button.dataset.view;
      localStorage.setItem("calendarView", calendarView.current);
      loadCalendar().catch(showError);
    });
  }
}

function showCalendarView() {
  for (const button of document.querySelectorAll("#calendar-filters [data-view]")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === calendarView.current));
  }
  $("#months").hidden = calendarView.current !== "months";
  $("#timeline").hidden = calendarView.current !== "timeline";
}

/** Open a launch's checklist in the Checklists tab. */
function openChecklist(launchId) {
  const picker = $("#launch-pick");
  // loadChecklists keeps the picked launch; it may not be among the options loaded so far.
  if (![...picker.options].some((option) => option.value === launchId)) picker.append(h("option", { value: launchId }, launchId));
  picker.value = launchId;
  showTab("checklists");
}

/** What makes an element open a launch's checklist on click or Enter. */
const opensChecklist = (launch) => ({ tabindex: 0, "data-launch": launch.id, title: "Open its checklist",
  onclick: () => openChecklist(launch.id), onkeydown: (event) => event.key === "Enter" && openChecklist(launch.id) });

const dayOf = (iso) => Date.parse(`${iso}T00:00:00Z`);

/**
 * The quarterly timeline: the year's quarters as columns, each launch a row with a bar from its start
 * date (when it has one) to its target date, coloured by status; a row opens the launch's checklist.
 */
async function loadTimeline() {
  const data = await api(`/launches?${calendarParams("timeline")}`);
  const yearStart = dayOf(`${data.year}-01-01`), yearEnd = dayOf(`${data.year + 1}-01-01`);
  const at = (time) => `${(100 * (Math.min(Math.max(time, yearStart), yearEnd) - yearStart)) / (yearEnd - yearStart)}%`;
  const launches = [...new Map(data.quarters.flatMap((quarter) => quarter.launches).map((launch) => [launch.id, launch])).values()]
    .sort((a, b) => a.target_date.localeCompare(b.target_date) || a.name.localeCompare(b.name));
  $("#calendar-year").textContent = data.year;
  $("#calendar-count").textContent = `${count(data.total, "launch", "launches")} in ${data.year}, by quarter`;
  const days = (quarter) => (dayOf(quarter.end) - dayOf(quarter.start)) / 86400000 + 1;
  const columns = { style: `grid-template-columns:${data.quarters.map((quarter) => `${days(quarter)}fr`).join(" ")}` };
  const today = Date.now();
  fill($("#timeline"),
    h("ul", { class: "legend statuses" }, LAUNCH_STATUSES.map((status) => h("li", {},
      h("span", { class: `swatch status-${status}` }), label(status)))),
    h("div", { class: "tl-row tl-head" }, h("span", { class: "tl-name muted" }, "Launch"),
      h("div", { class: "tl-quarters", ...columns }, data.quarters.map((quarter) => h("div", { class: "tl-quarter" },
        h("strong", {}, `Q${quarter.quarter}`), h("small", { class: "muted" }, ` ${count(quarter.launches.length, "launch", "launches")}`))))),
    launches.length ? null : h("p", { class: "muted" }, "No launches match these filters in this year."),
    launches.map((launch) => {
      const start = dayOf(launch.start_date || launch.target_date), target = dayOf(launch.target_date);
      const dates = `${launch.start_date ? `${launch.start_date} → ` : ""}${launch.target_date}`;
      return h("div", { class: `tl-row launch-row ${launch.status}`, ...opensChecklist(launch) },
        h("span", { class: "tl-name" }, launch.name,
          h("small", { class: "muted" }, `${label(launch.team)} · ${label(launch.status)}` +
            (launch.readiness === null ? "" : ` · ${percent(launch.readiness)} ready`))),
        h("div", { class: "tl-track", ...columns }, data.quarters.map(() => h("span", { class: "tl-cell" })),
          launch.start_date ? h("span", { class: `tl-bar status-${launch.status}`, title: dates,
            style: `left:${at(start)};width:calc(${at(target + 86400000)} - ${at(start)})` }) : null,
          target < yearEnd ? h("span", { class: `tl-target status-${launch.status}`, title: `Target ${launch.target_date}`,
            style: `left:${at(target + 43200000)}` }) : null,
          today >= yearStart && today < yearEnd ? h("span", { class: "tl-today", style: `left:${at(today)}`, title: "Today" }) : null));
    }));
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
  let refusal;
  try {
    const sent = await api(`/launches/${launchId}/checklist/${encodeURIComponent(itemId)}`, {
      method: "PATCH", body: JSON.stringify({ done: box.checked }),
    });
    ({ refusal } = await waitForOutcome(sent.command_id, () => api(`/launches/${launchId}/checklist`),
      (fresh) => fresh.items.find((item) => item.id === itemId)?.done === box.checked));
  } catch (error) {
    box.after(h("small", { class: "error" }, ` Not saved: ${error.message}`));
    return;
  }
  if (refusal) {
    box.after(h("small", { class: "error" }, ` launches refused it: ${refusal.reason}`));
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
  fillSelect(filters.elements.theme, "All themes", []);
  const refilter = () => { state.cursors = [null]; loadFeedback().catch(showError); };
  filters.addEventListener("change", refilter);
  filters.addEventListener("submit", (event) => event.preventDefault());
  $("#prev-page").addEventListener("click", () => {
    if (state.cursors.length > 1) state.cursors.pop();
    loadFeedback().catch(showError);
  });
  $("#next-page").addEventListener("click", () => { state.cursors.push(state.nextCursor); loadFeedback().catch(showError); });
  $("#drawer-close").addEventListener("click", () => { $("#drawer").hidden = true; });

  const themeFilters = $("#theme-filters");
  const rethemes = () => { state.themeOffset = 0; loadThemes().catch(showError); };
  themeFilters.addEventListener("change", rethemes);
  themeFilters.addEventListener("submit", (event) => { event.preventDefault(); rethemes(); });
  $("#themes-prev").addEventListener("click", () => {
    state.themeOffset = Math.max(0, state.themeOffset - THEME_PAGE_SIZE);
    loadThemes().catch(showError);
  });
  $("#themes-next").addEventListener("click", () => { state.themeOffset += THEME_PAGE_SIZE; loadThemes().catch(showError); });

  const calendar = $("#calendar-filters");
  fillSelect(calendar.elements.status, "All statuses", LAUNCH_STATUSES);
  fillSelect(calendar.elements.team, "All teams", TEAMS);
  calendar.addEventListener("change", () => loadCalendar().catch(showError));
  $("#year-prev").addEventListener("click", () => { state.year -= 1; loadCalendar().catch(showError); });
  $("#year-next").addEventListener("click", () => { state.year += 1; loadCalendar().catch(showError); });
  startCalendarViews();
  $("#launch-pick").addEventListener("change", (event) => loadChecklist(event.target.value).catch(showError));

  loadSignInOptions();
  const token = sessionStorage.getItem("token");
  if (token) signIn(token);
  else resumeSession();
}

start();
