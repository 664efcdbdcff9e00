// The editor page: sends each edit with the draft text, shows the loader's messages beside the fields,
// keeps the preview thumbnails current, and drives saving, building and importing.
// The server renders the form; this script only moves values and small pieces of HTML.
"use strict";

const initial = JSON.parse(document.getElementById("state").textContent);
const state = {draft: initial.draft, saved: initial.draft, base: initial.base, version: 0, queue: Promise.resolve()};
const $ = (id) => document.getElementById(id);

function setStatus(text, kind) {
  const s = $("status");
  s.textContent = text;
  s.className = kind || "";
}

async function post(url, body) {
  const response = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                     body: JSON.stringify(body)});
  const data = await response.json().catch(() => ({ok: false, error: "服务器没有回应，请确认编辑器还在运行"}));
  data.status = response.status;
  return data;
}

// run calls one after another: each edit starts from the draft the previous one returned
function queued(task) {
  state.queue = state.queue.then(task, task);
  return state.queue;
}

// ---------------------------------------------------------------- values

function fieldValue(el) {
  if (!el.classList.contains("rich")) return el.value;
  let text = "";
  for (const node of el.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) text += node.textContent;
    else if (node.classList && node.classList.contains("chip")) text += "{" + node.dataset.id + "}";
    else text += node.textContent;
  }
  return text.replace(/\u00a0/g, " ");
}

function sendEdit(el) {
  const path = JSON.parse(el.dataset.path);
  const value = fieldValue(el);
  return queued(async () => {
    const answer = await post("/api/edit", {draft: state.draft, path, value});
    if (!answer.ok) { setStatus(answer.error, "bad"); return; }
    state.draft = answer.draft;
    showErrors(answer.errors);
    updateChips(answer.chips);
    markDirty();
  });
}

const timers = new WeakMap();
function onInput(event) {
  const el = event.target.closest("[data-path]");
  if (!el || el.classList.contains("ops")) return;
  clearTimeout(timers.get(el));
  timers.set(el, setTimeout(() => sendEdit(el), 400));  // as you type, without a call per key
}
function onChange(event) {
  const el = event.target.closest("[data-path]");
  if (!el || el.classList.contains("ops")) return;
  clearTimeout(timers.get(el));
  sendEdit(el);
}

function updateChips(chips) {
  for (const chip of document.querySelectorAll(".chip")) {
    if (chips[chip.dataset.id] !== undefined) chip.textContent = chips[chip.dataset.id];
  }
}

function markDirty() {
  const dirty = state.draft !== state.saved;
  $("save").textContent = dirty ? "保存…（有未保存的修改）" : "保存…";
  document.title = (dirty ? "● " : "") + document.title.replace(/^● /, "");
}

// ---------------------------------------------------------------- messages beside the fields

function holderFor(field) {
  // the field named by the error, else the nearest enclosing group of the form
  let name = field || "";
  while (name) {
    const el = document.querySelector(`[data-name="${CSS.escape(name)}"]`);
    if (el) return el;
    const cut = Math.max(name.lastIndexOf("."), name.lastIndexOf("["));
    name = cut > 0 ? name.slice(0, cut) : "";
  }
  return null;
}

function showErrors(errors) {
  for (const el of document.querySelectorAll(".msg")) { if (el.closest("dialog")) continue; el.textContent = ""; }
  for (const el of document.querySelectorAll(".invalid")) el.classList.remove("invalid");
  const top = [];
  for (const error of errors) {
    const holder = holderFor(error.field);
    const msg = holder && holder.querySelector(":scope > .msg");
    const text = error.message + (error.line ? `（第 ${error.line} 行）` : "");
    if (msg) {
      msg.textContent = msg.textContent ? msg.textContent + "；" + text : text;
      holder.classList.add("invalid");
      for (let d = holder.parentElement.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
    } else top.push(error.text);
  }
  $("top-errors").textContent = top.join("\n");
  setStatus(errors.length ? `有 ${errors.length} 处错误，改正后才能预览和保存` : "数据有效", errors.length ? "bad" : "good");
}

// ---------------------------------------------------------------- list operations

async function onClick(event) {
  const button = event.target.closest("button[data-op]");
  if (!button) return;
  event.preventDefault();
  event.stopPropagation();
  const path = JSON.parse(button.closest(".ops").dataset.path);
  if (button.dataset.op === "remove" && !confirm("确定删除这一项吗？（保存前都可以刷新页面放弃）")) return;
  queued(async () => {
    const answer = await post("/api/list", {draft: state.draft, path, op: button.dataset.op});
    replaceForm(answer);
  });
}

function replaceForm(answer) {
  if (!answer.ok) { setStatus(answer.error, "bad"); return; }
  state.draft = answer.draft;
  const open = new Set([...document.querySelectorAll("details[open]")].map((d) => d.dataset.name));
  const scroll = $("editor").scrollTop;
  $("form").innerHTML = answer.form;
  for (const d of document.querySelectorAll("#form details")) d.open = open.has(d.dataset.name);
  $("editor").scrollTop = scroll;
  showErrors(answer.errors);
  markDirty();
}

// ---------------------------------------------------------------- preview

async function pollPreview() {
  try {
    const response = await fetch("/api/preview");
    const p = await response.json();
    const note = $("preview-note");
    if (p.error) { note.textContent = "预览没有更新：" + p.error; note.className = "bad"; }
    else if (p.building) { note.textContent = "正在更新…"; note.className = ""; }
    else if (p.version) { note.textContent = `${p.pages} 页` + (p.seconds ? `，用时 ${p.seconds} 秒` : ""); note.className = ""; }
    if (p.version && p.version !== state.version) showThumbs(p);
  } catch (e) { /* the server is restarting: try again on the next tick */ }
  setTimeout(pollPreview, 300);
}

function showThumbs(p) {
  state.version = p.version;
  const box = $("thumbs");
  const first = box.children.length === 0;
  box.innerHTML = "";
  for (let n = 1; n <= p.pages; n++) {
    const changed = !first && p.changed.includes(n);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "thumb" + (changed ? " changed" : "");
    button.dataset.page = n;
    button.title = `第 ${n} 页` + (changed ? "（有变化）" : "") + "，点击放大";
    const img = document.createElement("img");
    img.src = `/preview/${p.version}/${n}.png`;
    img.alt = `第 ${n} 页`;
    const caption = document.createElement("span");
    caption.textContent = n + (changed ? " 有变化" : "");
    button.append(img, caption);
    button.addEventListener("click", () => openLarge(p.version, n));
    box.append(button);
  }
  box.dataset.version = p.version;
}

function openLarge(version, n) {
  $("large-img").src = `/preview/${version}/${n}.png?large=1`;
  $("large-img").alt = `第 ${n} 页（放大）`;
  $("large").showModal();
}

// ---------------------------------------------------------------- saving

let pending = null;  // what the changes dialog's OK button does

function showChanges(title, answer, onOk) {
  $("changes-title").textContent = title;
  $("changes-summary").textContent = answer.summary || "";
  $("changes-list").innerHTML = "";
  for (const line of answer.changes || []) {
    const li = document.createElement("li");
    li.textContent = line;
    $("changes-list").append(li);
  }
  $("changes-lines").textContent = (answer.lines || []).join("\n");
  $("changes-units").hidden = !(answer.units && answer.units.length);
  if (answer.units && answer.units.length) {
    $("changes-units").querySelector("label").lastChild.textContent = " 我确认要修改单位：" + answer.units.join("；");
  }
  $("units-ok").checked = false;
  $("changes-error").textContent = "";
  pending = onOk;
  $("changes").showModal();
}

async function askSave() {
  await state.queue;
  const answer = await post("/api/changes", {draft: state.draft, base: state.base});
  if (!answer.ok) { if (answer.errors) showErrors(answer.errors); setStatus(answer.error, "bad"); return; }
  if (!answer.changes.length && state.draft === state.saved) { setStatus("没有修改，不需要保存", "good"); return; }
  showChanges("保存前确认：修改了什么", answer, async () => {
    const saved = await post("/api/save", {draft: state.draft, base: state.base});
    if (!saved.ok) { $("changes-error").textContent = saved.error; setStatus(saved.error, "bad"); return false; }
    state.base = saved.base;
    state.saved = state.draft;
    markDirty();
    setStatus(saved.message, "good");
    return true;
  });
}

// ---------------------------------------------------------------- building

async function startBuild() {
  await state.queue;
  const answer = await post("/api/build", {draft: state.draft, base: state.base});
  if (!answer.ok) { setStatus(answer.error, "bad"); return; }
  $("build-panel").hidden = false;
  $("downloads").innerHTML = "";
  pollBuild();
}

async function pollBuild() {
  const b = await (await fetch("/api/build")).json();
  const progress = $("build-progress");
  if (b.state === "running") {
    progress.textContent = `正在生成 ${b.editions.join("、")}……已用 ${b.seconds} 秒`;
    setTimeout(pollBuild, 500);
  } else if (b.state === "failed") {
    progress.textContent = "生成失败：" + b.error;
    progress.className = "bad";
  } else if (b.state === "done") {
    progress.textContent = `已生成，用时 ${b.seconds} 秒。下载：`;
    progress.className = "good";
    $("downloads").innerHTML = "";
    for (const f of b.files) {
      const li = document.createElement("li");
      if (f.folder) {  // the web edition is a folder: copied to the website whole, not downloaded as one file
        li.textContent = `${f.title}：文件夹 ${f.folder}（把整个文件夹复制到网站）`;
        $("downloads").append(li);
        continue;
      }
      const a = document.createElement("a");
      a.href = f.url;
      a.textContent = `${f.title}：${f.name}`;
      a.setAttribute("download", "");
      li.append(a);
      $("downloads").append(li);
    }
  }
}

// ---------------------------------------------------------------- importing

async function importSheet(event) {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  await state.queue;
  const dirty = state.draft !== state.saved ? "1" : "0";
  const url = `/api/import?name=${encodeURIComponent(file.name)}&base=${state.base}&dirty=${dirty}`;
  const response = await fetch(url, {method: "POST", body: file});
  const answer = await response.json().catch(() => ({ok: false, error: "上传失败"}));
  if (!answer.ok) { setStatus(answer.error, "bad"); alert(answer.error); return; }
  showChanges(`导入 ${file.name}：将要修改`, answer, async () => {
    const done = await post("/api/import/confirm", {token: answer.token, units: $("units-ok").checked});
    if (!done.ok) { $("changes-error").textContent = done.error; return false; }
    setStatus(done.message, "good");
    location.reload();  // the form shows the file as written
    return true;
  });
}

// ---------------------------------------------------------------- wiring

$("form").addEventListener("submit", (e) => e.preventDefault());  // Enter in a field never reloads the page
$("form").addEventListener("input", onInput);
$("form").addEventListener("change", onChange);
$("form").addEventListener("focusout", (e) => { if (e.target.classList && e.target.classList.contains("rich")) onChange(e); });
$("form").addEventListener("click", onClick);
$("save").addEventListener("click", askSave);
$("build").addEventListener("click", startBuild);
$("sheet").addEventListener("change", importSheet);
$("bump").addEventListener("click", () => queued(async () => replaceForm(await post("/api/revision", {draft: state.draft}))));
$("changes-cancel").addEventListener("click", () => $("changes").close());
$("changes-ok").addEventListener("click", async () => { if (pending && await pending()) $("changes").close(); });
$("large-close").addEventListener("click", () => $("large").close());
$("large").addEventListener("click", (e) => { if (e.target === $("large")) $("large").close(); });
window.addEventListener("beforeunload", (e) => { if (state.draft !== state.saved) e.preventDefault(); });
showErrors(initial.errors);
pollPreview();
