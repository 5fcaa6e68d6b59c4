import { Request, Response } from "express";
import { exec } from "child_process";
import * as fs from "fs";
import * as path from "path";

const JWT_SECRET: string = "c2VjcmV0LXNpZ25pbmcta2V5"; // expect: hardcoded-credentials
const jwtSecretFromEnv: string = process.env.JWT_SECRET ?? ""; // safe: hardcoded-credentials

export async function findUser(db: Pool, req: Request): Promise<User[]> {
  const name: string = req.query.name as string;
  const sql = `SELECT * FROM users WHERE name = '${name}'`;
  const result = await db.query(sql); // expect: sql-injection
  return result.rows;
}

export async function findUserSafely(db: Pool, req: Request): Promise<User[]> {
  const result = await db.query("SELECT * FROM users WHERE name = $1", [req.query.name]); // safe: sql-injection
  return result.rows;
}

export function thumbnail(req: Request, res: Response): void {
  const file = req.params.file;
  exec(`convert ${file} -resize 64x64 thumb.png`, () => res.end()); // expect: command-injection
}

export function download(req: Request, res: Response): void {
  const target = path.join("/srv/files", req.query.file as string);
  fs.readFile(target, (err, data) => res.send(data)); // expect: path-traversal
}

export function downloadSafely(req: Request, res: Response): void {
  const target = path.join("/srv/files", path.basename(req.query.file as string));
  fs.readFile(target, (err, data) => res.send(data)); // safe: path-traversal
}

export async function fetchPreview(req: Request): Promise<string> {
  const response = await fetch(req.body.url as string); // expect: ssrf
  return response.text();
}

export function evaluate(expression: string): unknown {
  return eval(expression); // expect: code-injection
}

export const insecureAgent = new https.Agent({ rejectUnauthorized: false }); // expect: tls-verification-disabled

export function hashPassword(password: string): string {
  return crypto.createHash("sha1").update(password).digest("hex"); // expect: weak-password-hash
}

export function checksum(data: Buffer): string {
  return crypto.createHash("md5").update(data).digest("hex"); // safe: weak-password-hash
}

interface Credentials {
  password: string; // safe: hardcoded-credentials
}
