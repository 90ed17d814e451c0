declare module 'swagger-ui-dist' {
  /** The directory holding the renderer's files. */
  export function absolutePath(): string;
}
