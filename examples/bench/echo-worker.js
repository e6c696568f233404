// A bare worker for scripts/bench: answers each message at once, the baseline of the widget
// protocol's round trip and transfer figures. {op: "echo"} -> same; {op: "sink", buffer} -> its
// length; {op: "source", bytes} -> a fresh buffer of that size, transferred.
self.onmessage = (event) => {
  const msg = event.data;
  if (msg.op === "sink") self.postMessage({ op: "sunk", bytes: msg.buffer.byteLength });
  else if (msg.op === "source") {
    const buffer = new Uint8Array(msg.bytes).buffer;
    self.postMessage({ op: "sourced", buffer }, [buffer]);
  } else self.postMessage(msg);
};
