// The cafehub chat window: plain JavaScript over the chat API (no build step).
// Opens a conversation with the shop's publishable key, keeps its token in sessionStorage,
// and draws the structured messages: text, orders, buttons, item pickers, forms and photo uploads.
"use strict";

(function () {
  const body = document.body;
  const shop = body.dataset.shop;
  const key = body.dataset.key;
  const keyHeader = body.dataset.keyHeader;
  const base = "/v1/shops/" + encodeURIComponent(shop) + "/chat";
  const storageKey = "cafehub-chat:" + shop;
  const log = document.getElementById("log");
  const composer = document.getElementById("composer");
  const input = document.getElementById("text");
  const language = (navigator.language || "en").slice(0, 2);
  let session = JSON.parse(sessionStorage.getItem(storageKey) || "null");
  let busy = false;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "class") node.className = value; else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function messageId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return "m" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function api(path, options) {
    const response = await fetch(base + path, options);
    const data = response.status === 204 ? null : await response.json();
    if (!response.ok) {
      const error = new Error((data && data.error && data.error.message) || response.statusText);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  async function open() {
    const opened = await api("/conversations", {
      method: "POST",
      headers: { "Content-Type": "application/json", [keyHeader]: key },
      body: JSON.stringify({ language: ["ja", "ko", "en"].includes(language) ? language : null }),
    });
    session = { id: opened.conversation_id, token: opened.token, seen: 0 };
    sessionStorage.setItem(storageKey, JSON.stringify(session));
  }

  function authed(extra) {
    return Object.assign({ Authorization: "Bearer " + session.token }, extra || {});
  }

  function userBubble(text) {
    log.append(el("li", { class: "user" }, el("div", { class: "bubble" }, text)));
    log.scrollTop = log.scrollHeight;
  }

  function press(button) {
    send({ button: { command: button.command, answers: button.answers } }, button.label);
  }

  function buttonRow(buttons) {
    const row = el("div", { class: "buttons" });
    for (const button of buttons) {
      const node = el("button", { type: "button", class: button.style || "secondary" }, button.label);
      node.addEventListener("click", () => press(button));
      row.append(node);
    }
    return row;
  }

  function orderBlock(block, expect) {
    const picking = expect && expect.kind === "items";
    const items = el("ul");
    for (const item of block.items) {
      const text = item.name + (item.option ? " (" + item.option + ")" : "") + " ×" + item.quantity +
        (block.status_label ? "" : " [" + item.status_label + "]") + (item.amount ? "  " + item.amount : "");
      const line = picking && item.selectable
        ? el("label", {}, el("input", { type: "checkbox", value: item.order_item_code, "data-item": "1" }), " " + text)
        : text;
      items.append(el("li", {}, line, item.note ? el("div", { class: "note" }, item.note) : null));
    }
    const card = el("div", { class: "order" },
      el("h3", {}, "#" + block.order_id + "  " + block.ordered_on + (block.status_label ? "  [" + block.status_label + "]" : "")),
      items);
    for (const line of block.lines) card.append(el("div", { class: "line" }, line));
    if (block.total) card.append(el("div", { class: "line" }, block.total));
    if (block.buttons.length) card.append(buttonRow(block.buttons));
    return card;
  }

  function itemsForm(bubble) {
    const form = el("form", { class: "form" }, el("button", { type: "submit" }, "OK"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const picked = Array.from(bubble.querySelectorAll("input[data-item]:checked"), (box) => box.value);
      if (!picked.length) return;
      send({ answers: { items: picked } }, picked.length + " ✓");
    });
    return form;
  }

  function fieldsForm(expect) {
    const form = el("form", { class: "form" });
    for (const field of expect.fields) {
      const attrs = { name: field.name, "aria-label": field.label };
      if (field.max_length) attrs.maxlength = String(field.max_length);
      if (field.required) attrs.required = "required";
      form.append(el("label", {}, field.label, el("input", attrs),
        field.problem ? el("span", { class: "problem" }, field.problem) : null));
    }
    form.append(el("button", { type: "submit" }, "OK"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = {};
      for (const field of expect.fields) {
        const value = form.elements[field.name].value.trim();
        if (value) values[field.name] = value;
      }
      send({ answers: { [expect.answer]: values } }, "✓");
    });
    return form;
  }

  function photosForm(expect) {
    const form = el("form", { class: "form" });
    const picker = el("input", { type: "file", accept: "image/*", multiple: "multiple", "aria-label": "photos" });
    form.append(picker, el("button", { type: "submit" }, "OK"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const ids = [];
      for (const file of Array.from(picker.files).slice(0, expect.max_count || 5)) {
        const uploaded = await api("/conversations/" + session.id + "/photos", {
          method: "POST", headers: authed({ "Content-Type": "application/octet-stream" }), body: file });
        ids.push(uploaded.photo_id);
      }
      if (ids.length) send({ photos: ids }, "📷 × " + ids.length);
    });
    return form;
  }

  function botBubble(message) {
    const bubble = el("div", { class: "bubble", "data-key": message.key });
    for (const block of message.blocks) {
      bubble.append(block.type === "text" ? el("div", {}, block.text) : orderBlock(block, message.expect));
    }
    const expect = message.expect;
    if (expect && expect.kind === "items") bubble.append(itemsForm(bubble));
    if (expect && expect.kind === "fields") bubble.append(fieldsForm(expect));
    if (expect && expect.kind === "photos") bubble.append(photosForm(expect));
    if (message.buttons.length) bubble.append(buttonRow(message.buttons));
    log.append(el("li", { class: "bot" }, bubble));
    log.scrollTop = log.scrollHeight;
  }

  function showStatus(status) {
    if (status === "handed_over" && !log.querySelector(".handed")) {
      log.append(el("li", { class: "handed" }, "…"));
    }
  }

  async function send(payload, shown) {
    if (busy) return;
    busy = true;
    try {
      if (!session) await open();
      userBubble(shown);
      payload.message_id = messageId();
      const replies = await api("/conversations/" + session.id + "/messages", {
        method: "POST", headers: authed({ "Content-Type": "application/json" }), body: JSON.stringify(payload) });
      for (const reply of replies.messages) botBubble(reply.message);
      showStatus(replies.status);
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        sessionStorage.removeItem(storageKey);
        session = null;
      }
      log.append(el("li", { class: "handed" }, error.message));
    } finally {
      busy = false;
    }
  }

  async function restore() {
    if (!session) return;
    try {
      const transcript = await api("/conversations/" + session.id + "/messages", { headers: authed() });
      for (const entry of transcript.entries) {
        if (entry.role === "user") userBubble(entry.text);
        else if (entry.message) botBubble(entry.message);
      }
      showStatus(transcript.status);
    } catch (error) {
      sessionStorage.removeItem(storageKey);
      session = null;
    }
  }

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text: text }, text);
  });

  restore();
})();
