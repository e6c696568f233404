// A tiny stand-in for the DOM, just enough for the runtime's modules under node:test
// (no dependency). Selectors: one compound of tag, .class, [attr], [attr="v"], [attr*="v"].

/** @param {string} selector */
function parseSelector(selector) {
  const tag = /^[a-z][a-z0-9-]*/i.exec(selector)?.[0]?.toUpperCase() ?? null;
  const classes = [...selector.matchAll(/\.([\w-]+)/g)].map((m) => m[1]);
  const attrs = [...selector.matchAll(/\[([\w-]+)(?:(\*?=)["']?([^"'\]]*)["']?)?\]/g)].map((m) => ({ name: m[1], op: m[2], value: m[3] }));
  return { tag, classes, attrs };
}

export class FakeEvent {
  /** @param {string} type @param {object} [init] */
  constructor(type, init = {}) {
    this.type = type;
    Object.assign(this, init);
    this.defaultPrevented = false;
  }
  preventDefault() {
    this.defaultPrevented = true;
  }
}

export class FakeElement {
  /** @param {FakeDocument} ownerDocument @param {string} tagName */
  constructor(ownerDocument, tagName) {
    this.ownerDocument = ownerDocument;
    this.tagName = tagName.toUpperCase();
    this.nodeType = 1;
    /** @type {FakeElement | null} */
    this.parentNode = null;
    /** @type {Array<FakeElement | FakeText>} */
    this.childNodes = [];
    /** @type {Map<string, string>} */
    this.attributes = new Map();
    /** @type {Map<string, Function[]>} */
    this.listeners = new Map();
    const el = this;
    this.classList = {
      add: (/** @type {string[]} */ ...names) => el.setAttribute("class", [...new Set([...el.#classes(), ...names])].join(" ")),
      remove: (/** @type {string[]} */ ...names) => el.setAttribute("class", el.#classes().filter((c) => !names.includes(c)).join(" ")),
      contains: (/** @type {string} */ name) => el.#classes().includes(name),
    };
  }
  #classes() {
    return (this.getAttribute("class") || "").split(/\s+/).filter(Boolean);
  }
  get className() {
    return this.getAttribute("class") || "";
  }
  set className(value) {
    this.setAttribute("class", value);
  }
  get id() {
    return this.getAttribute("id") || "";
  }
  set id(value) {
    this.setAttribute("id", value);
  }
  get children() {
    return /** @type {FakeElement[]} */ (this.childNodes.filter((n) => n.nodeType === 1));
  }
  get isConnected() {
    /** @type {any} */
    let node = this;
    while (node.parentNode) node = node.parentNode;
    return node === this.ownerDocument.documentElement;
  }
  /** @param {string} name @param {unknown} value */
  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }
  /** @param {string} name */
  getAttribute(name) {
    return this.attributes.has(name) ? /** @type {string} */ (this.attributes.get(name)) : null;
  }
  /** @param {string} name */
  hasAttribute(name) {
    return this.attributes.has(name);
  }
  /** @param {string} name */
  removeAttribute(name) {
    this.attributes.delete(name);
  }
  get textContent() {
    return this.childNodes.map((n) => n.textContent).join("");
  }
  set textContent(value) {
    this.replaceChildren(new FakeText(String(value)));
  }
  /** @param {any} node */
  #adopt(node) {
    if (typeof node === "string") node = new FakeText(node);
    node.remove?.();
    node.parentNode = this;
    return node;
  }
  /** @param {...any} nodes */
  append(...nodes) {
    for (const node of nodes) this.childNodes.push(this.#adopt(node));
  }
  /** @param {...any} nodes */
  prepend(...nodes) {
    this.childNodes.unshift(...nodes.map((n) => this.#adopt(n)));
  }
  /** @param {...any} nodes */
  replaceChildren(...nodes) {
    for (const child of this.childNodes) child.parentNode = null;
    this.childNodes = [];
    this.append(...nodes);
  }
  remove() {
    if (!this.parentNode) return;
    const siblings = this.parentNode.childNodes;
    siblings.splice(siblings.indexOf(this), 1);
    this.parentNode = null;
  }
  /** @param {any} node */
  after(node) {
    const parent = this.parentNode;
    if (!parent) return;
    node.remove?.();
    node.parentNode = parent;
    parent.childNodes.splice(parent.childNodes.indexOf(this) + 1, 0, node);
  }
  /** @param {any} node */
  replaceWith(node) {
    this.after(node);
    this.remove();
  }
  /** @param {string} type @param {Function} listener */
  addEventListener(type, listener) {
    this.listeners.set(type, [...(this.listeners.get(type) || []), listener]);
  }
  /** @param {string} type @param {Function} listener */
  removeEventListener(type, listener) {
    this.listeners.set(type, (this.listeners.get(type) || []).filter((l) => l !== listener));
  }
  /** A bubbling event goes on to the parents, then the document (as `CustomEvent({bubbles: true})` does). @param {any} event */
  dispatchEvent(event) {
    for (const listener of this.listeners.get(event.type) || []) listener(event);
    if (event.bubbles) {
      if (this.parentNode) this.parentNode.dispatchEvent(event);
      else if (this === this.ownerDocument.documentElement) this.ownerDocument.dispatchEvent(event);
    }
    return !event.defaultPrevented;
  }
  /** @param {string} selector @returns {FakeElement | null} */
  closest(selector) {
    /** @type {FakeElement | null} */
    let el = this;
    while (el && !el.matches(selector)) el = el.parentNode;
    return el;
  }
  click() {
    this.dispatchEvent(new FakeEvent("click"));
  }
  /** @param {string} selector */
  matches(selector) {
    if (selector.includes(",")) return selector.split(",").some((one) => this.matches(one.trim()));
    const { tag, classes, attrs } = parseSelector(selector);
    if (tag && tag !== this.tagName) return false;
    if (!classes.every((c) => this.classList.contains(c))) return false;
    return attrs.every(({ name, op, value }) => {
      const actual = this.getAttribute(name);
      if (actual === null) return false;
      if (op === "=") return actual === value;
      if (op === "*=") return actual.includes(value);
      return true;
    });
  }
  /** @param {string} selector @returns {FakeElement[]} */
  querySelectorAll(selector) {
    /** @type {FakeElement[]} */
    const found = [];
    for (const child of this.children) {
      if (child.matches(selector)) found.push(child);
      found.push(...child.querySelectorAll(selector));
    }
    return found;
  }
  /** @param {string} selector */
  querySelector(selector) {
    return this.querySelectorAll(selector)[0] ?? null;
  }
}

export class FakeText {
  /** @param {string} text */
  constructor(text) {
    this.nodeType = 3;
    this.textContent = text;
    /** @type {FakeElement | null} */
    this.parentNode = null;
  }
  remove() {
    if (!this.parentNode) return;
    const siblings = this.parentNode.childNodes;
    siblings.splice(siblings.indexOf(this), 1);
    this.parentNode = null;
  }
}

export class FakeDocument {
  constructor() {
    this.baseURI = "http://localhost/page";
    this.readyState = "complete";
    this.documentElement = new FakeElement(this, "html");
    this.head = new FakeElement(this, "head");
    this.body = new FakeElement(this, "body");
    this.documentElement.append(this.head, this.body);
    /** @type {Map<string, Function[]>} */
    this.listeners = new Map();
  }
  /** @param {string} type @param {Function} listener */
  addEventListener(type, listener) {
    this.listeners.set(type, [...(this.listeners.get(type) || []), listener]);
  }
  /** @param {string} type @param {Function} listener */
  removeEventListener(type, listener) {
    this.listeners.set(type, (this.listeners.get(type) || []).filter((l) => l !== listener));
  }
  /** @param {FakeEvent} event */
  dispatchEvent(event) {
    for (const listener of this.listeners.get(event.type) || []) listener(event);
    return !event.defaultPrevented;
  }
  /** @param {string} tag */
  createElement(tag) {
    return new FakeElement(this, tag);
  }
  /** @param {string} text */
  createTextNode(text) {
    return new FakeText(text);
  }
  /** @param {string} id */
  getElementById(id) {
    return this.documentElement.querySelectorAll(`[id="${id}"]`)[0] ?? null;
  }
  /** @param {string} selector */
  querySelectorAll(selector) {
    return this.documentElement.querySelectorAll(selector);
  }
  /** @param {string} selector */
  querySelector(selector) {
    return this.documentElement.querySelector(selector);
  }
}

/** The error boxes the runtime shows in `el`. @param {FakeElement} el */
export function errorBoxes(el) {
  return el.children.filter((c) => c.classList.contains("fh-anywidget-error"));
}

/** Let pending promise callbacks run. */
export async function settle(rounds = 10) {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
