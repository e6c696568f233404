// Shared test doubles: a model wired to a recording sender.
import { Model } from "../../../web/page/model.js";

/**
 * A model whose outgoing comm messages are recorded in `sent` (seq 1, 2, ...).
 * @param {Record<string, any>} [state]
 * @param {{get_model?(id: string): Promise<any>}} [widget_manager]
 */
export function recordingModel(state = {}, widget_manager = { get_model: () => Promise.reject(new Error("none")) }) {
  /** @type {Array<{data: any, buffers: ArrayBuffer[], seq: number}>} */
  const sent = [];
  let seq = 0;
  const model = new Model({
    comm_id: "m1",
    data: { state, buffer_paths: [] },
    widget_manager,
    sendComm: (data, buffers) => {
      seq += 1;
      sent.push({ data, buffers, seq });
      return seq;
    },
  });
  return { model, sent };
}
