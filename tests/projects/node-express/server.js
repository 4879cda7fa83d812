const express = require('express');

const app = express();
const port = Number(process.env.PORT) || 3000;

app.get('/health', (req, res) => res.json({ status: 'ok' }));
app.get('/orders/:id', (req, res) => res.json({ id: req.params.id, items: [] }));

app.listen(port, () => console.log(`orders-api listening on ${port}`));
