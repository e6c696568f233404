// A placeholder's form fields (`host.widget(..., name="range")`): hidden inputs, each holding
// one trait of the widget (a string as it is, anything else as JSON), kept in step with every
// change of the model, from the visitor or from Python.
// @ts-check

/** The attribute of a field's input naming its trait (mirrors fh_anywidget.fields.FIELD_ATTR). */
export const FIELD_ATTR = "data-fh-anywidget-field";

/**
 * A trait's value as a form field holds it: a string as it is, anything else as JSON.
 * @param {unknown} value
 * @param {string} trait  For the error.
 * @returns {string}
 */
export function encodeField(value, trait) {
  if (typeof value === "string") return value;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value) || containsBinary(value)) {
    throw new TypeError(
      `[fh-anywidget] the trait ${JSON.stringify(trait)} holds binary data, which a form field cannot carry; ` +
        "make the form field hold a JSON trait (host.widget(..., name=..., field=\"other\")), or read the bytes in Python",
    );
  }
  return JSON.stringify(value === undefined ? null : value);
}

/** @param {unknown} value @returns {boolean} */
function containsBinary(value) {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return true;
  if (Array.isArray(value)) return value.some(containsBinary);
  if (value && typeof value === "object") return Object.values(value).some(containsBinary);
  return false;
}

/**
 * The field inputs of a placeholder (its own children that carry FIELD_ATTR).
 * @param {HTMLElement} el
 * @returns {HTMLInputElement[]}
 */
export function fieldInputs(el) {
  return /** @type {HTMLInputElement[]} */ (Array.from(el.children).filter((c) => c.hasAttribute(FIELD_ATTR)));
}

/** ipywidgets' own traits of every DOM widget: left out of the trait lists errors show. */
const FRAMEWORK_TRAITS = new Set(["layout", "tabbable", "tooltip"]);

/** A model's own traits, as an error lists them (sorted; not `_`-prefixed, not the framework's). @param {Record<string, any>} state */
export function ownTraits(state) {
  return Object.keys(state).filter((t) => !t.startsWith("_") && !FRAMEWORK_TRAITS.has(t)).sort();
}

/**
 * Check that the model has every field's trait. Returns the problem, naming the field and the
 * traits it could hold, or null.
 * @param {HTMLInputElement[]} inputs @param {Record<string, any>} state @param {string} target
 * @returns {string | null}
 */
export function missingTrait(inputs, state, target) {
  for (const input of inputs) {
    const trait = input.getAttribute(FIELD_ATTR) || "";
    if (!Object.hasOwn(state, trait)) {
      const traits = ownTraits(state);
      return (
        `[fh-anywidget] the form field ${JSON.stringify(input.name)} would hold the trait ${JSON.stringify(trait)}, ` +
        `which ${target} does not have; its traits: ${traits.join(", ") || "none"}`
      );
    }
  }
  return null;
}

/**
 * Write the traits in `values` into the inputs that hold them. Returns the errors (a binary value).
 * @param {HTMLInputElement[]} inputs @param {Record<string, any>} values
 * @returns {Error[]}
 */
export function writeFields(inputs, values) {
  /** @type {Error[]} */
  const errors = [];
  for (const input of inputs) {
    const trait = input.getAttribute(FIELD_ATTR) || "";
    if (!Object.hasOwn(values, trait)) continue;
    try {
      input.value = encodeField(values[trait], trait);
    } catch (err) {
      errors.push(/** @type {Error} */ (err));
    }
  }
  return errors;
}
