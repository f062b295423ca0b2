/**
 * Names a side output. Records sent to a tag with `ctx.output(tag, v)` (or late window data) come out
 * of `stream.getSideOutput(tag)`. Two tags with the same id are the same side output.
 */
export class OutputTag<T> {
  declare readonly __type?: T;
  constructor(readonly id: string) {
    if (typeof id !== 'string' || id.length === 0) {
      throw new TypeError(`OutputTag needs a non-empty string id, got ${JSON.stringify(id)}`);
    }
  }
}
