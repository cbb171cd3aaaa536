/**
 * One connection to the database DATABASE_URL names, behind a tiny interface: `run` and `all` take a
 * quarry statement ({ sql, params }). The quarry dialect follows the URL's scheme.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';

export async function connect(url = process.env.DATABASE_URL) {
  if (!url) throw new Error('DATABASE_URL is not set (mysql://... or postgresql://...)');
  const scheme = new URL(url).protocol.replace(/:$/, '');
  if (scheme === 'mysql') {
    const conn = await mysql.createConnection({ uri: url, dateStrings: true, supportBigNumbers: true });
    return {
      dialect: 'mysql',
      async all({ sql, params }) {
        const [rows] = await conn.query(sql, params);
        return rows;
      },
      async run({ sql, params }) {
        await conn.query(sql, params);
      },
      close: () => conn.end(),
    };
  }
  if (scheme === 'postgresql' || scheme === 'postgres') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return {
      dialect: 'postgres',
      async all({ sql, params }) {
        return (await client.query(sql, params)).rows;
      },
      async run({ sql, params }) {
        await client.query(sql, params);
      },
      close: () => client.end(),
    };
  }
  throw new Error(`unsupported DATABASE_URL scheme "${scheme}"`);
}
