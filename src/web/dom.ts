// The page's one DOM helper: an element by its id, typed.

export const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
