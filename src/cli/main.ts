// Placeholder entry point; the real CLI is built in src/cli/.
export async function main(argv: string[]): Promise<number> {
  console.error(`wicket: not implemented yet (${argv.join(' ')})`);
  return 2;
}
