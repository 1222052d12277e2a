// complex-matcher (XO's search syntax) ships no types; what the UI uses.
declare module 'complex-matcher' {
  export interface Node {
    createPredicate(): (value: unknown) => boolean
    match(value: unknown): boolean
    toString(): string
  }
  export function parse(input: string): Node
  export class Null implements Node {
    createPredicate(): (value: unknown) => boolean
    match(value: unknown): boolean
  }
  export class And implements Node {
    constructor(children: Node[])
    children: Node[]
    createPredicate(): (value: unknown) => boolean
    match(value: unknown): boolean
  }
  export class Property implements Node {
    constructor(name: string, child: Node)
    createPredicate(): (value: unknown) => boolean
    match(value: unknown): boolean
  }
  export class String implements Node {
    constructor(value: string)
    createPredicate(): (value: unknown) => boolean
    match(value: unknown): boolean
  }
}
