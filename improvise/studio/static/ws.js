// The WebSocket to the studio's engine: JSON messages in and out (improvise/studio/protocol.py).
export class EngineSocket {
  constructor(url) {
    this.url = url;
    this.handlers = new Map();   // type -> [fn]
    this.waiting = new Map();    // ack id -> resolve (round-trip measurements)
    this.nextId = 1;
    this.ready = new Promise((resolve, reject) => {
      this.ws = new WebSocket(url);
      this.ws.onopen = () => resolve(this);
      this.ws.onerror = () => reject(new Error("the studio's WebSocket failed"));
    });
    this.ws.onmessage = (ev) => this.dispatch(JSON.parse(ev.data));
    this.ws.onclose = () => this.emit({ type: "closed" });
  }
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(fn);
  }
  emit(msg) {
    for (const fn of this.handlers.get(msg.type) || []) fn(msg);
    for (const fn of this.handlers.get("*") || []) fn(msg);
  }
  dispatch(msg) {
    this.emit(msg);
    if (msg.ack != null && this.waiting.has(msg.ack)) {
      this.waiting.get(msg.ack)(msg);
      this.waiting.delete(msg.ack);
    }
  }
  send(msg) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }
  sendRaw(text) { this.ws.send(text); }   // the tests send malformed messages this way
  request(msg) {                          // send with an id; resolves with the reply that acks it
    const id = this.nextId++;
    return new Promise((resolve) => { this.waiting.set(id, resolve); this.send({ ...msg, id }); });
  }
  close() { this.ws.close(); }
}
