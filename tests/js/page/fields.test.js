import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { FIELD_ATTR, encodeField, fieldInputs, missingTrait, ownTraits, writeFields } from "../../../web/page/fields.js";
import { FakeDocument } from "./fake-dom.js";

/** A placeholder with hidden inputs for `fields` ({name: trait}). @param {Record<string, string>} fields */
function placeholder(fields) {
  const doc = new FakeDocument();
  const el = doc.createElement("div");
  for (const [name, trait] of Object.entries(fields)) {
    const input = /** @type {any} */ (doc.createElement("input"));
    input.setAttribute("name", name);
    input.name = name;
    input.setAttribute(FIELD_ATTR, trait);
    input.value = "";
    el.append(input);
  }
  el.append(doc.createElement("div")); // the view: not a field
  return /** @type {any} */ (el);
}

describe("form fields", () => {
  test("a string is held as it is, anything else as JSON", () => {
    assert.equal(encodeField("EU", "region"), "EU");
    assert.equal(encodeField([2, 7], "range"), "[2,7]");
    assert.equal(encodeField({ lo: 1, tags: ["a"] }, "f"), '{"lo":1,"tags":["a"]}');
    assert.equal(encodeField(null, "f"), "null");
    assert.equal(encodeField(undefined, "f"), "null");
    assert.equal(encodeField(false, "f"), "false");
  });

  test("binary data, whole or inside a value, is an error naming the trait and saying what to do", () => {
    for (const value of [new DataView(new ArrayBuffer(2)), new Uint8Array(2), { frames: [new ArrayBuffer(1)] }]) {
      assert.throws(() => encodeField(value, "payload"), /the trait "payload" holds binary data, which a form field cannot carry; make the form field hold a JSON trait/);
    }
  });

  test("the fields are the placeholder's inputs with the field attribute", () => {
    const el = placeholder({ range: "value", lo: "low" });
    assert.deepEqual(fieldInputs(el).map((i) => i.name), ["range", "lo"]);
  });

  test("a field naming a trait the model lacks is a problem naming it and the widget's own traits", () => {
    const el = placeholder({ range: "value", extra: "nope" });
    const state = { value: [0, 1], label: "x", _esm: "...", layout: "IPY_MODEL_1", tooltip: null };
    assert.equal(missingTrait(fieldInputs(el), state, "app:Slider"),
      '[fh-anywidget] the form field "extra" would hold the trait "nope", which app:Slider does not have; its traits: label, value');
    assert.equal(missingTrait(fieldInputs(placeholder({ range: "value" })), state, "app:Slider"), null);
    assert.deepEqual(ownTraits(state), ["label", "value"]);
  });

  test("writing updates only the fields whose traits are given, and returns the errors instead of throwing", () => {
    const el = placeholder({ range: "value", name: "label", data: "blob" });
    const inputs = fieldInputs(el);
    assert.deepEqual(writeFields(inputs, { value: [1, 2], label: "hi" }), []);
    assert.deepEqual(inputs.map((i) => i.value), ["[1,2]", "hi", ""]);
    const errors = writeFields(inputs, { value: [3, 4], blob: new Uint8Array(1) });
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /"blob" holds binary data/);
    assert.equal(inputs[0].value, "[3,4]"); // the good field still follows
  });
});
