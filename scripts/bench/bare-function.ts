import { http } from '@google-cloud/functions-framework';

// The cold-start floor: a functions-framework function that loads nothing and answers at once.
http(process.env.FUNCTION_TARGET!, (_req, res) => {
  res.status(200).send('ok');
});
