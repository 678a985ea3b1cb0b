/**
 * Copies of `<template>`s that become part of a form (a plugin card, an item of a list):
 * element ids in a template carry a placeholder (`__N__`, `__I__`) that each copy replaces
 * with a value of its own, also inside templates nested in the copy, so ids stay unique.
 */
const ID_ATTRIBUTES = ['id', 'for', 'aria-describedby', 'aria-labelledby'];
let copies = 0;

function replaceIn(root: DocumentFragment | Element, placeholder: string, value: string): void {
  for (const el of root.querySelectorAll<HTMLElement>('*')) {
    for (const attr of ID_ATTRIBUTES) {
      const current = el.getAttribute(attr);
      if (current?.includes(placeholder)) el.setAttribute(attr, current.replaceAll(placeholder, value));
    }
    if (el instanceof HTMLTemplateElement) replaceIn(el.content, placeholder, value);
  }
}

/** A copy of the template's content with `placeholder` made unique in its ids. */
export function copyTemplate(template: HTMLTemplateElement, placeholder: string): DocumentFragment {
  const fragment = template.content.cloneNode(true) as DocumentFragment;
  replaceIn(fragment, placeholder, `c${++copies}`);
  return fragment;
}
